//! The `api-key` plugin in Rust, C, JavaScript and Python: each is built from source
//! (`mlauth_tests::polyglot`), must pass the conformance kit, and must answer exactly like
//! the others. Deliberately broken plugins must fail the kit.

use std::collections::BTreeMap;

use mlauth::conformance::{self, KitOptions, Report};
use mlauth::plugin::{load_plugin, LoadedPlugin, PluginRequest, PluginSettings, PluginSource};
use mlauth::sandbox::{Sandbox, SandboxLimits};
use mlauth_tests::polyglot::{self, Language};
use mlauth_tests::wasm;

const KEY: &str = "k3y-0f-the-conformance-suite";

fn kit(plugin: &str, good: &str) -> KitOptions {
    KitOptions::new(plugin)
        .setting("api_key", KEY)
        .setting("username", "ci-bot")
        .good_header(good)
        .unwrap()
}

async fn run_kit(options: &KitOptions) -> Report {
    conformance::run(options).await.expect("the kit runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_passes_the_kit_in_every_language() {
    for language in Language::ALL {
        let plugin = polyglot::api_key(language);
        let mut options = kit(plugin.to_str().unwrap(), &format!("X-API-Key: {KEY}"));
        options.expect_user = Some("ci-bot".into());
        options.check_unconfigured = true;
        let report = run_kit(&options).await;
        assert!(
            report.passed(),
            "{language:?} failed the kit:\n{}",
            report.table()
        );
        assert!(report.checks.len() >= 35, "{}", report.table());
        assert!(report.check("unconfigured-fails-closed").is_some());
    }
}

/// Loads `plugin` with `settings` straight into a sandbox (no gateway).
async fn load(plugin: &std::path::Path, settings: &[(&str, &str)]) -> LoadedPlugin {
    let sandbox = Sandbox::new(SandboxLimits {
        pooling: false,
        ..SandboxLimits::default()
    })
    .unwrap();
    let linker = mlauth::runner::new_linker(&sandbox).unwrap();
    let settings = PluginSettings {
        config: settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..PluginSettings::default()
    };
    let source = PluginSource::File(plugin.to_path_buf());
    load_plugin(&sandbox, &linker, "api-key", &source, &settings, &[])
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", plugin.display()))
}

fn request(headers: &[(&str, &[u8])]) -> PluginRequest {
    PluginRequest {
        method: "GET".into(),
        raw_path: "/api/2.0/mlflow/experiments/search".into(),
        path: "/api/2.0/mlflow/experiments/search".into(),
        query: String::new(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect(),
        body: None,
        client_addr: "127.0.0.1:1".into(),
        request_id: "languages".into(),
    }
}

/// What one plugin answered, in a form the four languages can be compared on.
async fn answer(plugin: &LoadedPlugin, headers: &[(&str, &[u8])]) -> String {
    match plugin
        .authenticate(&request(headers))
        .await
        .expect("no plugin failure")
    {
        Ok(identity) => format!("ok {}", identity.username),
        Err(response) => {
            let headers: Vec<String> = response
                .headers
                .iter()
                .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v.as_bytes())))
                .collect();
            format!(
                "{} {headers:?} {}",
                response.status.as_u16(),
                String::from_utf8_lossy(&response.body)
            )
        }
    }
}

/// Request headers, and the answer every language must give to them.
type Case<'a> = (&'a [(&'a str, &'a [u8])], &'a str);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_language_answers_byte_for_byte_alike() {
    let key = "s3cr3t-Ω"; // non-ASCII: only X-API-Key can carry it (Bearer tokens are ASCII)
    let cases: &[Case] = &[
        (&[("x-api-key", key.as_bytes())], "ok api-user"),
        (&[("authorization", b"Bearer s3cr3t-\xce\xa9")], "401"),
        (&[("authorization", b"Bearer s3cr3t-")], "401"),
        (&[("x-api-key", b"s3cr3t-")], "401"),
        (&[("x-api-key", b"S3CR3T-\xce\xa9")], "401"),
        (
            &[("x-api-key", key.as_bytes()), ("x-api-key", key.as_bytes())],
            "401",
        ),
        (
            &[
                ("x-api-key", key.as_bytes()),
                ("authorization", b"Bearer x"),
            ],
            "401",
        ),
        (&[("authorization", b"Basic czNjcjN0")], "401"),
        (&[("authorization", b"Bearer")], "401"),
        (&[], "401"),
    ];
    let ascii_cases: &[Case] = &[
        (&[("authorization", b"Bearer plain-k3y")], "ok api-user"),
        (
            &[("authorization", b"bEaReR \t plain-k3y \t")],
            "ok api-user",
        ),
        (&[("authorization", b"Bearer plain-k3y extra")], "401"),
        (
            &[
                ("authorization", b"Bearer plain-k3y"),
                ("authorization", b"Bearer plain-k3y"),
            ],
            "401",
        ),
        (
            &[("x-api-key", b"plain-k3y"), ("x-other", b"\xff")],
            "ok api-user",
        ),
    ];
    let mut answers: Vec<(Language, Vec<String>)> = Vec::new();
    for language in Language::ALL {
        let path = polyglot::api_key(language);
        let unicode = load(&path, &[("api_key", key)]).await;
        let ascii = load(&path, &[("api_key", "plain-k3y")]).await;
        let unconfigured = load(&path, &[("api_key", "")]).await;
        let mut seen = Vec::new();
        for (plugin, table) in [(&unicode, cases), (&ascii, ascii_cases)] {
            for (headers, want) in table {
                let got = answer(plugin, headers).await;
                assert!(got.starts_with(want), "{language:?} {headers:?}: {got}");
                seen.push(got);
            }
        }
        let refusal = answer(&unconfigured, &[("x-api-key", b"")]).await;
        assert!(refusal.starts_with("500"), "{language:?}: {refusal}");
        assert!(refusal.contains("set api_key"), "{language:?}: {refusal}");
        seen.push(refusal);
        answers.push((language, seen));
    }
    let (_, rust) = &answers[0];
    let challenge = r#"www-authenticate: Bearer realm=\"mlflow\""#;
    assert!(rust[1].contains(challenge), "{}", rust[1]);
    assert!(
        rust[1].contains(r#"{"error_code": "UNAUTHENTICATED""#),
        "{}",
        rust[1]
    );
    for (language, seen) in &answers[1..] {
        for (i, (theirs, ours)) in seen.iter().zip(rust).enumerate() {
            // Header order may differ; compare status, sorted headers and body.
            assert_eq!(
                normalise(theirs),
                normalise(ours),
                "{language:?}, answer {i}"
            );
        }
    }
}

/// Sorts the header list inside an answer line so header order does not matter.
fn normalise(answer: &str) -> String {
    match (answer.find('['), answer.find(']')) {
        (Some(open), Some(close)) => {
            let mut headers: Vec<&str> = answer[open + 1..close].split(", ").collect();
            headers.sort_unstable();
            format!(
                "{}{}{}",
                &answer[..open],
                headers.join(", "),
                &answer[close + 1..]
            )
        }
        _ => answer.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_plugins_fail_the_kit() {
    // Lets everyone in: every refusal check fails, nothing else crashes.
    let report = run_kit(&kit(wasm::ALLOW_ALL, "X-API-Key: anything")).await;
    let failure = report.check("no-credentials").unwrap().failure.clone();
    assert!(
        failure.unwrap().contains("expected 401, got 200"),
        "{}",
        report.table()
    );
    assert!(
        report.check("good-credentials").unwrap().passed(),
        "{}",
        report.table()
    );

    // Traps on every call: the host answers 500 and nothing passes.
    let report = run_kit(&kit(wasm::PANIC, "X-API-Key: anything")).await;
    assert!(
        report
            .checks
            .iter()
            .filter(|c| c.name != "oversized-headers")
            .all(|c| !c.passed()),
        "{}",
        report.table()
    );
    assert!(
        report.check("oversized-headers").unwrap().passed(),
        "{}",
        report.table()
    );

    // Echoes the request and its settings in a challenge-less 401: leaks are caught.
    let options =
        kit(wasm::ECHO, "X-Test-User: conformance-user").setting("token", "echo-secret-value");
    let report = run_kit(&options).await;
    let failure = report
        .check("no-credentials")
        .unwrap()
        .failure
        .clone()
        .unwrap();
    assert!(
        failure.contains("no WWW-Authenticate challenge"),
        "{failure}"
    );
    assert!(
        failure.contains("contains the credentials or a secret setting"),
        "{failure}"
    );

    // A correct plugin tested with the wrong credentials fails the good-credential checks.
    let report = run_kit(&kit(wasm::API_KEY, "X-API-Key: not-the-key")).await;
    assert!(
        !report.check("good-credentials").unwrap().passed(),
        "{}",
        report.table()
    );
    assert!(
        report.check("no-credentials").unwrap().passed(),
        "{}",
        report.table()
    );
    assert!(!report.passed());
}

#[test]
fn plugins_test_command_prints_the_table_and_fails_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.toml");
    std::fs::write(&settings, format!("api_key = \"{KEY}\"\n")).unwrap();
    let run = |good: &str| {
        std::process::Command::new(crate::cli::mlauth_bin())
            .args(["plugins", "test", wasm::API_KEY, "--config"])
            .arg(&settings)
            .args([
                "--set",
                "username=cli-user",
                "--expect-user",
                "cli-user",
                "--good-header",
                good,
            ])
            .env("MLAUTH_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = run(&format!("Authorization: Bearer {KEY}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("no-credentials"), "{stdout}");
    assert!(stdout.contains("PASS: "), "{stdout}");

    let out = run("Authorization: Bearer wrong");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("FAIL: expected a forwarded request, got 401"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("conformance checks failed"));
}
