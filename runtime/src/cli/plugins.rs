//! `mlauth plugins install|list|inspect`: the app registry and a component's world,
//! exports and imports, printed for the operator.

use super::PluginsCommand;
use crate::apps::{inspect_bytes, AppRegistry, PluginListing};
use crate::sandbox::{Sandbox, SandboxLimits};

/// Runs a `plugins` subcommand that needs no async runtime.
pub(super) fn plugins(cmd: PluginsCommand) -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::new(SandboxLimits {
        pooling: false,
        ..SandboxLimits::default()
    })?;
    match cmd {
        PluginsCommand::Install {
            file,
            name,
            plugins_dir,
        } => {
            let registry = AppRegistry::new(plugins_dir);
            let listing = registry.install(&sandbox, &file, &name)?;
            println!(
                "installed {} ({}, sha256 {}) into {}",
                name,
                listing.world.unwrap_or("?"),
                listing.sha256,
                registry.dir().display()
            );
        }
        PluginsCommand::List { plugins_dir } => {
            let registry = AppRegistry::new(plugins_dir);
            println!(
                "{:<24} {:<22} {:<8} {:>10}  sha256",
                "NAME", "WORLD", "WIT", "SIZE"
            );
            for row in registry.list(&sandbox) {
                match row {
                    Ok(l) => println!(
                        "{:<24} {:<22} {:<8} {:>10}  {}",
                        l.name,
                        l.world.unwrap_or("(none)"),
                        l.wit_version.as_deref().unwrap_or("-"),
                        l.size,
                        l.sha256
                    ),
                    Err(e) => println!("(error) {e}"),
                }
            }
        }
        PluginsCommand::Inspect { file } => {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            print_inspection(&inspect_bytes(
                &sandbox,
                &bytes,
                &file.display().to_string(),
            )?);
        }
        PluginsCommand::Test(_) => return Err("`plugins test` runs on the async runtime".into()),
    }
    Ok(())
}

/// Prints what `plugins inspect` found, with a verdict on each import.
fn print_inspection(l: &PluginListing) {
    println!("file:     {}", l.name);
    println!("world:    {}", l.world.unwrap_or("(not an mlauth plugin)"));
    println!("wit:      {}", l.wit_version.as_deref().unwrap_or("-"));
    println!("size:     {} bytes", l.size);
    println!("sha256:   {}", l.sha256);
    println!("exports:");
    for e in &l.exports {
        println!("  {e}");
    }
    println!("imports (capabilities requested):");
    for i in &l.imports {
        let verdict = match crate::plugin::grants::judge_import(i, &crate::plugin::Capability::ALL)
        {
            crate::plugin::grants::ImportVerdict::Allowed => "always available (sandboxed)",
            crate::plugin::grants::ImportVerdict::Granted(_) => "needs a grant",
            _ => "NOT PROVIDED by mlauth",
        };
        println!("  {i}  [{verdict}]");
    }
}
