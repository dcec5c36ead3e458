use super::*;

#[test]
fn database_uris_parse_like_sqlalchemy() {
    let ok = [
        (
            "sqlite:///basic_auth.db",
            DatabaseUri::SqliteFile("basic_auth.db".into()),
        ),
        (
            "sqlite:////var/auth.db",
            DatabaseUri::SqliteFile("/var/auth.db".into()),
        ),
        (
            "sqlite:///dir/a%20b.db?timeout=20",
            DatabaseUri::SqliteFile("dir/a b.db".into()),
        ),
        ("sqlite://", DatabaseUri::SqliteMemory),
        ("sqlite:///", DatabaseUri::SqliteMemory),
        ("sqlite:///:memory:", DatabaseUri::SqliteMemory),
        (
            "sqlite+pysqlite:///x.db",
            DatabaseUri::SqliteFile("x.db".into()),
        ),
        (
            "postgresql://u:p@h:5432/d",
            DatabaseUri::Postgres("postgresql://u:p@h:5432/d".into()),
        ),
        (
            "postgresql+psycopg2://u:p@h/d?sslmode=require",
            DatabaseUri::Postgres("postgresql://u:p@h/d?sslmode=require".into()),
        ),
    ];
    for (uri, expected) in ok {
        assert_eq!(DatabaseUri::parse(uri).unwrap(), expected, "{uri}");
    }
    for bad in [
        "mysql://u:secretpw@h/d",
        "postgres://u:secretpw@h/d",
        "basic_auth.db",
        "sqlite://host/x.db",
        "postgresql://",
        "sqlite+a-b:///x",
    ] {
        let err = DatabaseUri::parse(bad).unwrap_err().to_string();
        assert!(
            err.contains("supported: sqlite:///") && !err.contains("secretpw"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn sqlx_urls_and_redaction() {
    assert_eq!(
        DatabaseUri::SqliteFile("basic_auth.db".into()).to_sqlx_url(),
        "sqlite://basic_auth.db?mode=rwc"
    );
    assert_eq!(
        DatabaseUri::SqliteFile("/v/a?b%c#.db".into()).to_sqlx_url(),
        "sqlite:///v/a%3Fb%25c%23.db?mode=rwc"
    );
    assert_eq!(DatabaseUri::SqliteMemory.to_sqlx_url(), "sqlite::memory:");
    let pg = DatabaseUri::parse("postgresql+psycopg://me:s3cr%40t@db/auth").unwrap();
    assert_eq!(pg.to_sqlx_url(), "postgresql://me:s3cr%40t@db/auth");
    assert_eq!(pg.redacted(), "postgresql://me:***@db/auth");
    assert!(!format!("{pg:?} {pg}").contains("s3cr"));
    // Passwords in the query string, or with a raw `/`, `?` or `@`, are hidden too.
    for (uri, secret) in [
        (
            "postgresql://db/auth?user=mlflow&password=hunter2",
            "hunter2",
        ),
        (
            "postgresql://db/auth?sslmode=require&sslpassword=hunter2&x=1",
            "hunter2",
        ),
        ("postgresql://u:pa/ss@db/auth", "ss@"),
        ("postgresql://u:pa?ss@db/auth", "ss@"),
        ("postgresql://u:p@ss@db/auth", "p@ss"),
    ] {
        let shown = DatabaseUri::parse(uri).unwrap().redacted();
        assert!(!shown.contains(secret), "{uri} shown as {shown}");
        assert!(shown.contains("***"), "{shown}");
    }
    assert_eq!(
        crate::store::redact_url("postgres://db/auth?user=u&password=x&sslmode=require"),
        "postgres://db/auth?user=u&password=***&sslmode=require"
    );
}
