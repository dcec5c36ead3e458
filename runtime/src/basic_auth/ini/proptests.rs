//! Property tests for the `basic_auth.ini` parser: arbitrary text never panics; spelling
//! variations that Python's configparser accepts (key case, `=`/`:` with any spacing,
//! comment and blank lines, values inherited from `[DEFAULT]`) parse to the same config; and
//! no error message ever contains the admin password.

use std::collections::HashMap;
use std::path::Path;

use proptest::prelude::*;

use super::*;

fn parse(text: &str) -> Result<AuthConfig, IniError> {
    parse_auth_config(
        text,
        Path::new("/etc/mlauth"),
        &HashMap::<String, String>::new(),
    )
}

const ENTRIES: [(&str, &str); 4] = [
    ("default_permission", "EDIT"),
    ("database_uri", "sqlite:///auth.db"),
    ("admin_username", "root"),
    ("auth_cache_ttl_seconds", "30"),
];

/// One key written with random case and separator spacing.
fn line(key: &str, value: &str, upper: &[bool], sep: &str) -> String {
    let key: String = key
        .chars()
        .zip(upper.iter().cycle())
        .map(|(c, u)| if *u { c.to_ascii_uppercase() } else { c })
        .collect();
    format!("{key}{sep}{value}\n")
}

fn noise() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "",
        "\n",
        "# a comment\n",
        "; another\n",
        "   # indented\n",
        "\t\n",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn line_based_text_never_panics(
        lines in prop::collection::vec(prop_oneof![
            Just("[mlflow]".to_string()), Just("[DEFAULT]".to_string()),
            "[a-z_]{1,24} ?[=:] ?[A-Za-z0-9:/%()._ -]{0,24}", "\\PC{0,20}",
            Just("  continued".to_string()),
        ], 0..10)
    ) {
        let _ = parse(&lines.join("\n"));
    }

    #[test]
    fn spelling_variations_parse_alike(
        order in Just((0..ENTRIES.len()).collect::<Vec<_>>()).prop_shuffle(),
        upper in prop::collection::vec(any::<bool>(), 1..8),
        sep in prop::sample::select(vec!["=", " = ", ":", " : ", "=  ", "\t=\t"]),
        noise_lines in prop::collection::vec(noise(), ENTRIES.len() + 1),
        in_default in prop::collection::vec(any::<bool>(), ENTRIES.len()),
    ) {
        let canonical: String = ENTRIES.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
        let want = parse(&format!("[mlflow]\n{canonical}")).unwrap();
        let (mut defaults, mut own) = (String::new(), String::new());
        for (i, &index) in order.iter().enumerate() {
            let (key, value) = ENTRIES[index];
            let target = if in_default[index] { &mut defaults } else { &mut own };
            target.push_str(noise_lines[i]);
            target.push_str(&line(key, value, &upper, sep));
        }
        let text = format!("[DEFAULT]\n{defaults}{}[mlflow]\n{own}", noise_lines[ENTRIES.len()]);
        prop_assert_eq!(parse(&text).map_err(|e| e.to_string()), Ok(want), "{}", text);
    }

    #[test]
    fn errors_never_show_the_admin_password(
        secret in "S3cr3t[A-Za-z0-9]{10}",
        breakage in prop::sample::select(vec![
            "default_permission = SUPER\n", "colour = blue\n", "admin_password = again\n",
            "auth_cache_max_size = many\n", "grant_default_workspace_access = maybe\n",
            "database_uri = mysql://x\n", "read_database_uri = %(nope)s\n", "[mlflow]\n",
            "no separator here\n", "",
        ]),
        tail in prop::sample::select(vec!["", "%", "%(x)s", "%%", "\n  more", ":"]),
        first in any::<bool>(),
    ) {
        let password_line = format!("admin_password = {secret}{tail}\n");
        let body = if first {
            format!("{password_line}{breakage}")
        } else {
            format!("{breakage}{password_line}")
        };
        let text = format!("[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///a.db\n{body}");
        match parse(&text) {
            Err(e) => {
                let shown = format!("{e} {e:?}");
                prop_assert!(!shown.contains(&secret), "{}", shown);
            }
            Ok(config) => {
                let shown = format!("{config:?}");
                prop_assert!(!shown.contains(&secret), "{}", shown);
            }
        }
    }
}
