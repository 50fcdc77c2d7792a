//! What the SQL test files share: running a script in a session and collecting its rows,
//! and (in [`kafka`]) writing and reading a test broker's topics.
#![allow(dead_code)]

pub mod kafka;

use weir_sql::error::SqlError;
use weir_sql::session::{JobSettings, ResultSink, Session};

/// The rows a script's queries print, as lines (`+I[…]`); messages are dropped.
pub struct Rows(pub Vec<String>);

impl ResultSink for Rows {
    fn row(&mut self, line: &str) {
        self.0.push(line.to_string());
    }
    fn message(&mut self, _: &str) {}
}

/// Runs `sql` at `parallelism`; the rows its queries printed.
pub fn run(sql: &str, parallelism: usize) -> Result<Vec<String>, SqlError> {
    let mut session = Session::new(JobSettings { parallelism, ..Default::default() });
    let mut rows = Rows(Vec::new());
    session.execute_script(sql, &mut rows)?;
    Ok(rows.0)
}

/// The error of a script that must fail, rendered against it (line, column, caret).
pub fn error(sql: &str) -> String {
    let e = run(sql, 1).expect_err("the script must fail");
    e.render(sql)
}
