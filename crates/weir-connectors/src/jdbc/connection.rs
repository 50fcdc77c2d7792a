//! [`JdbcConnectionOptions`]: where the database is (a JDBC URL, as Flink takes it) and who
//! connects; opening a connection, with retries when the server cannot be reached.

use std::time::Duration;

use crate::error::ConnectorError;

/// How to reach a PostgreSQL database.
///
/// ```
/// use weir_connectors::jdbc::JdbcConnectionOptions;
/// let options = JdbcConnectionOptions::new("jdbc:postgresql://127.0.0.1:5432/shop?user=app").unwrap();
/// assert_eq!((options.host(), options.port(), options.database()), ("127.0.0.1", 5432, "shop"));
/// assert!(JdbcConnectionOptions::new("jdbc:mysql://h/db").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JdbcConnectionOptions {
    url: String,
    host: String,
    port: u16,
    database: String,
    username: Option<String>,
    password: Option<String>,
}

impl JdbcConnectionOptions {
    /// Options from a URL `jdbc:postgresql://host[:port]/database[?user=…&password=…]`.
    ///
    /// # Errors
    /// A URL of another database or of another shape ([`ConnectorError::Config`]).
    pub fn new(url: &str) -> Result<Self, ConnectorError> {
        let bad = |why: &str| {
            ConnectorError::Config(format!(
                "JDBC URL '{url}': {why}; expected jdbc:postgresql://host[:port]/database (only PostgreSQL is \
                 supported)"
            ))
        };
        let rest = url.strip_prefix("jdbc:postgresql://").ok_or_else(|| bad("not a PostgreSQL JDBC URL"))?;
        let (address, path) = rest.split_once('/').ok_or_else(|| bad("no database"))?;
        let (database, query) = path.split_once('?').unwrap_or((path, ""));
        if database.is_empty() {
            return Err(bad("no database"));
        }
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().map_err(|_| bad("the port is not a number"))?),
            None => (address, 5432),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let mut options = JdbcConnectionOptions {
            url: url.to_string(),
            host: host.to_string(),
            port,
            database: database.to_string(),
            username: None,
            password: None,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("user", v)) => options.username = Some(v.to_string()),
                Some(("password", v)) => options.password = Some(v.to_string()),
                _ => {} // Driver settings Weir does not use (sslmode, …).
            }
        }
        Ok(options)
    }

    /// Connects as `username` (Flink's `username` option; it overrides the URL's `user`).
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Connects with `password` (Flink's `password` option).
    pub fn with_password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The database.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Opens a connection, trying `1 + retries` times, a second apart more each time, when
    /// the server cannot be reached.
    ///
    /// # Errors
    /// [`ConnectorError::Database`] naming the URL, when every attempt failed or the server
    /// refused the login.
    pub fn connect(&self, retries: u32) -> Result<postgres::Client, ConnectorError> {
        let mut config = postgres::Config::new();
        config.host(&self.host).port(self.port).dbname(&self.database).connect_timeout(Duration::from_secs(10));
        config.user(self.username.as_deref().unwrap_or("postgres"));
        if let Some(password) = &self.password {
            config.password(password);
        }
        let mut attempt = 0;
        loop {
            match config.connect(postgres::NoTls) {
                Ok(client) => return Ok(client),
                // A refused login or an unknown database does not get better by waiting.
                Err(e) if attempt >= retries || e.as_db_error().is_some() => {
                    return Err(ConnectorError::Database {
                        context: format!("cannot connect to {}", self.url),
                        message: describe(&e),
                    })
                }
                Err(_) => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_secs(u64::from(attempt)));
                }
            }
        }
    }
}

/// A database error in one line: the server's message, detail and SQLSTATE when it sent
/// them, else the client's.
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; {detail}"));
            }
            text
        }
        None => e.to_string(),
    }
}

/// Whether retrying may help: the connection broke, or the server asked to try again
/// (serialization failure, deadlock, shutdown) — not a constraint violation or bad data.
pub fn retriable(e: &postgres::Error) -> bool {
    match e.code() {
        None => true,
        Some(code) => {
            let class = &code.code()[..2];
            matches!(class, "08" | "40" | "53" | "57")
        }
    }
}

/// Whether the error ended the connection: no server code (the socket failed), a
/// connection exception (08) or the server shutting the session down (57, e.g.
/// `pg_terminate_backend`). The client may not have seen the socket close yet, so
/// `is_closed` alone is not enough to know a new connection is needed.
pub fn connection_lost(e: &postgres::Error) -> bool {
    match e.code() {
        None => true,
        Some(code) => matches!(&code.code()[..2], "08" | "57"),
    }
}

/// `name` quoted as a PostgreSQL identifier; a dotted name (`schema.table`) is quoted
/// part by part.
pub fn quote_name(name: &str) -> String {
    name.split('.').map(quote_identifier).collect::<Vec<_>>().join(".")
}

/// One identifier in double quotes, inner quotes doubled.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A URL and what it parses to: host, port, database, user (`None`: refused).
    type UrlCase = (&'static str, Option<(&'static str, u16, &'static str, Option<&'static str>)>);

    #[test]
    fn parses_postgres_urls() {
        let cases: &[UrlCase] = &[
            ("jdbc:postgresql://127.0.0.1:5433/db", Some(("127.0.0.1", 5433, "db", None))),
            ("jdbc:postgresql://localhost/db?user=u&sslmode=disable", Some(("localhost", 5432, "db", Some("u")))),
            ("jdbc:postgresql://h:x/db", None),
            ("jdbc:postgresql://h:1/", None),
            ("jdbc:postgresql://h", None),
            ("jdbc:mysql://h:3306/db", None),
        ];
        for (url, expected) in cases {
            let parsed = JdbcConnectionOptions::new(url);
            match expected {
                Some((host, port, db, user)) => {
                    let o = parsed.unwrap_or_else(|e| panic!("{url}: {e}"));
                    assert_eq!((o.host(), o.port(), o.database(), o.username.as_deref()), (*host, *port, *db, *user));
                }
                None => {
                    let e = parsed.expect_err(url).to_string();
                    assert!(e.contains(url) && e.contains("jdbc:postgresql://host"), "{e}");
                }
            }
        }
    }

    #[test]
    fn quotes_names() {
        assert_eq!(quote_name("public.Orders"), "\"public\".\"Orders\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
