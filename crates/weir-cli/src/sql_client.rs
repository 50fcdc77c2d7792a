//! `weir sql`: the interactive SQL client, like Flink's `sql-client.sh`.
//!
//! Statements may span lines and end with `;` (a statement set ends with `END;`). Line
//! editing and history (kept in `~/.weir_sql_history`) when the input is a terminal; piped
//! input is read the same way without prompts. Results of a `SELECT` show in one of
//! Flink's result modes, chosen with `SET 'sql-client.execution.result-mode' = '…';`:
//! `table` (the final table, the default), `tableau` (every change in a table with its
//! `op`), `changelog` (every change as `+I[…]` lines). `HELP;`, `CLEAR;`, `QUIT;`/`EXIT;`.

use std::io::{BufRead, IsTerminal, Write};

use weir_sql::changelog::RowKind;
use weir_sql::session::{JobSettings, ResultSink, Session};

/// How a query's result is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultMode {
    /// The result table as it stands when the query ends.
    Table,
    /// Every change as a table row with its kind.
    Tableau,
    /// Every change as a `+I[…]` line.
    Changelog,
}

const RESULT_MODE_KEY: &str = "sql-client.execution.result-mode";

const HELP: &str = "The following commands are available:

CLEAR       Clears the terminal.
HELP        Prints this help.
QUIT/EXIT   Quits the SQL client.
SET         Sets a session option: SET 'key' = 'value'; lists them all: SET;
RESET       Resets a session option to its default: RESET 'key';
SHOW        SHOW CATALOGS; SHOW DATABASES; SHOW TABLES [FROM db] [LIKE 'p%']; SHOW VIEWS;
            SHOW COLUMNS FROM t; SHOW FUNCTIONS; SHOW CURRENT CATALOG | DATABASE;
USE         USE CATALOG c; USE [c.]db;
DESCRIBE    Describes a table or view: DESCRIBE name;
EXPLAIN     Shows the plan of a query: EXPLAIN SELECT …;

Any other statement (CREATE, DROP, ALTER, INSERT INTO, SELECT, EXECUTE STATEMENT SET …) runs
in the session. Statements end with ';' and may span lines.
Result modes: SET 'sql-client.execution.result-mode' = 'table' | 'tableau' | 'changelog';";

/// Splits typed text into complete statements: `;` outside quotes and comments ends one,
/// except inside `EXECUTE STATEMENT SET BEGIN … END;`.
#[derive(Debug, Default)]
pub struct StatementBuffer {
    text: String,
}

impl StatementBuffer {
    /// Adds a line; returns the statements it completes.
    pub fn push_line(&mut self, line: &str) -> Vec<String> {
        self.text.push_str(line);
        self.text.push('\n');
        let mut done = Vec::new();
        while let Some(end) = statement_end(&self.text) {
            let statement: String = self.text.drain(..end).collect();
            let statement = statement.trim().to_string();
            if statement.trim_end_matches(';').trim().is_empty() {
                continue;
            }
            done.push(statement);
        }
        if self.text.trim().is_empty() {
            self.text.clear();
        }
        done
    }

    /// Whether a statement has been started but not ended.
    pub fn is_pending(&self) -> bool {
        !self.text.trim().is_empty()
    }
}

/// The byte just past the `;` ending the first statement of `text`, if it is complete.
fn statement_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let upper = text.to_uppercase();
    let head: Vec<&str> = upper.split_whitespace().take(3).collect();
    let statement_set =
        head.starts_with(&["EXECUTE", "STATEMENT", "SET"]) || head.starts_with(&["BEGIN", "STATEMENT", "SET"]);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == q {
                        // A doubled quote is an escaped one.
                        if i + 1 < bytes.len() && bytes[i + 1] == q {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b';' => {
                if !statement_set {
                    return Some(i + 1);
                }
                // A statement set ends at `END;`.
                let before = upper[..i].trim_end();
                if before.ends_with("END")
                    && !before[..before.len() - 3].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A query's result, gathered and then shown in the session's result mode.
struct ClientOutput<'w> {
    out: &'w mut dyn Write,
    mode: ResultMode,
    columns: Vec<String>,
    changes: Vec<(RowKind, Vec<String>)>,
}

impl ResultSink for ClientOutput<'_> {
    fn row(&mut self, line: &str) {
        let _ = writeln!(self.out, "{line}");
    }
    fn message(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }
    fn columns(&mut self, names: &[String]) {
        self.columns = names.to_vec();
    }
    fn change(&mut self, kind: RowKind, values: &[String]) {
        self.changes.push((kind, values.to_vec()));
    }
}

impl ClientOutput<'_> {
    /// Shows the gathered result, if a query gave one.
    fn show(&mut self) {
        if self.columns.is_empty() {
            return;
        }
        let changes = std::mem::take(&mut self.changes);
        match self.mode {
            ResultMode::Changelog => {
                for (kind, values) in &changes {
                    let _ = writeln!(self.out, "{}[{}]", kind.short_string(), values.join(", "));
                }
                let _ = writeln!(self.out, "Received a total of {} rows", changes.len());
            }
            ResultMode::Tableau => {
                let mut header = vec!["op".to_string()];
                header.extend(self.columns.iter().cloned());
                let rows: Vec<Vec<String>> = changes
                    .iter()
                    .map(|(k, v)| std::iter::once(k.short_string().to_string()).chain(v.iter().cloned()).collect())
                    .collect();
                let _ = write!(self.out, "{}", box_table(&header, &rows));
                let _ = writeln!(self.out, "Received a total of {} rows", rows.len());
            }
            ResultMode::Table => {
                let rows = materialize(changes);
                let _ = write!(self.out, "{}", box_table(&self.columns, &rows));
                let _ = writeln!(self.out, "{} rows in set", rows.len());
            }
        }
        self.columns.clear();
    }
}

/// The table a changelog ends at: inserts and update-afters added, update-befores and
/// deletes taking out one equal row (the most recent), in arrival order otherwise.
pub fn materialize(changes: Vec<(RowKind, Vec<String>)>) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (kind, values) in changes {
        match kind {
            RowKind::Insert | RowKind::UpdateAfter => rows.push(values),
            RowKind::UpdateBefore | RowKind::Delete => {
                if let Some(i) = rows.iter().rposition(|r| *r == values) {
                    rows.remove(i);
                }
            }
        }
    }
    rows
}

/// A table drawn with `+---+` borders, numbers right-aligned as Flink's client does.
pub fn box_table(header: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |v| v.chars().count()))
                .max()
                .unwrap_or(0)
                .max(header[c].chars().count())
        })
        .collect();
    let line: String = widths.iter().map(|w| format!("+{}", "-".repeat(w + 2))).collect::<String>() + "+\n";
    let numeric = |v: &str| v.parse::<f64>().is_ok();
    let render = |cells: &[String], align_numbers: bool| -> String {
        let mut s = String::new();
        for (c, w) in widths.iter().enumerate() {
            let v = cells.get(c).map(String::as_str).unwrap_or("");
            let pad = w - v.chars().count();
            if align_numbers && numeric(v) {
                s.push_str(&format!("| {}{v} ", " ".repeat(pad)));
            } else {
                s.push_str(&format!("| {v}{} ", " ".repeat(pad)));
            }
        }
        s + "|\n"
    };
    let mut out = line.clone();
    out.push_str(&render(header, false));
    out.push_str(&line);
    for r in rows {
        out.push_str(&render(r, true));
    }
    if !rows.is_empty() {
        out.push_str(&line);
    }
    out
}

/// The client over any input: statements read with `next_line` (which gets the prompt),
/// results and messages written to `out`.
pub struct Client {
    session: Session,
    mode: ResultMode,
}

/// What to do after a statement.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Read the next statement.
    Continue,
    /// Leave the client.
    Quit,
}

impl Client {
    /// A client whose jobs run at `parallelism`.
    pub fn new(parallelism: usize) -> Self {
        let mut session = Session::new(JobSettings { parallelism: parallelism.max(1), ..Default::default() });
        session.register_function("weir.nexmark.CountChar", crate::nexmark::sql::count_char());
        Client { session, mode: ResultMode::Table }
    }

    /// Runs one complete statement (ending in `;`).
    pub fn execute(&mut self, statement: &str, out: &mut dyn Write) -> Next {
        let bare = statement.trim().trim_end_matches(';').trim();
        let upper = bare.to_uppercase();
        match upper.as_str() {
            "QUIT" | "EXIT" => return Next::Quit,
            "HELP" => {
                let _ = writeln!(out, "{HELP}");
                return Next::Continue;
            }
            "CLEAR" => {
                let _ = write!(out, "\x1b[2J\x1b[H");
                return Next::Continue;
            }
            _ => {}
        }
        if let Some(mode) = result_mode_setting(bare) {
            match mode {
                Ok(mode) => {
                    self.mode = mode;
                    let _ = writeln!(out, "[INFO] Execute statement succeeded.");
                }
                Err(value) => {
                    let _ = writeln!(
                        out,
                        "[ERROR] Could not execute SQL statement. Reason:\nUnknown result mode '{value}' for '{RESULT_MODE_KEY}': use 'table', 'tableau' or 'changelog'."
                    );
                }
            }
            return Next::Continue;
        }
        let mut output = ClientOutput { out, mode: self.mode, columns: Vec::new(), changes: Vec::new() };
        match self.session.execute_script(statement, &mut output) {
            Ok(()) => output.show(),
            Err(e) => {
                let _ =
                    writeln!(output.out, "[ERROR] Could not execute SQL statement. Reason:\n{}", e.render(statement));
            }
        }
        Next::Continue
    }
}

/// `SET 'sql-client.execution.result-mode' = 'x'`: the mode, or the unknown value.
fn result_mode_setting(statement: &str) -> Option<Result<ResultMode, String>> {
    let rest = statement.strip_prefix("SET").or_else(|| statement.strip_prefix("set"))?.trim();
    let (key, value) = rest.split_once('=')?;
    let unquote = |s: &str| s.trim().trim_matches('\'').trim().to_string();
    if unquote(key) != RESULT_MODE_KEY {
        return None;
    }
    let value = unquote(value);
    Some(match value.to_lowercase().as_str() {
        "table" => Ok(ResultMode::Table),
        "tableau" => Ok(ResultMode::Tableau),
        "changelog" => Ok(ResultMode::Changelog),
        _ => Err(value),
    })
}

/// Runs the client on the terminal (with line editing and history) or on piped input.
pub fn run(parallelism: usize) -> anyhow::Result<()> {
    let mut client = Client::new(parallelism);
    let mut buffer = StatementBuffer::default();
    let stdout = std::io::stdout();
    if !std::io::stdin().is_terminal() {
        for line in std::io::stdin().lock().lines() {
            for statement in buffer.push_line(&line?) {
                if client.execute(&statement, &mut stdout.lock()) == Next::Quit {
                    return Ok(());
                }
            }
        }
        if buffer.is_pending() {
            anyhow::bail!("the input ended inside a statement (a missing ';'?)");
        }
        return Ok(());
    }
    let mut editor = rustyline::DefaultEditor::new()?;
    let history = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".weir_sql_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("Weir SQL client: Flink SQL on Weir. Statements end with ';'. Type HELP; for help, QUIT; to leave.\n");
    loop {
        let prompt = if buffer.is_pending() { "> " } else { "Weir SQL> " };
        match editor.readline(prompt) {
            Ok(line) => {
                for statement in buffer.push_line(&line) {
                    let _ = editor.add_history_entry(statement.as_str());
                    if client.execute(&statement, &mut stdout.lock()) == Next::Quit {
                        if let Some(h) = &history {
                            let _ = editor.save_history(h);
                        }
                        println!("Shutting down the session...\ndone.");
                        return Ok(());
                    }
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => {
                buffer = StatementBuffer::default();
            }
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_semicolons_outside_quotes_and_comments() {
        let mut b = StatementBuffer::default();
        assert!(b.push_line("SELECT 'a;b', -- c;").is_empty());
        assert!(b.is_pending());
        assert_eq!(
            b.push_line("  `x;y` /* ; */ FROM t; SHOW TABLES;"),
            vec!["SELECT 'a;b', -- c;\n  `x;y` /* ; */ FROM t;".to_string(), "SHOW TABLES;".to_string()]
        );
        assert!(!b.is_pending());
    }

    #[test]
    fn statement_sets_end_at_end() {
        let mut b = StatementBuffer::default();
        assert!(b.push_line("EXECUTE STATEMENT SET BEGIN").is_empty());
        assert!(b.push_line("INSERT INTO a SELECT * FROM t;").is_empty());
        assert!(b.push_line("INSERT INTO b SELECT * FROM t; ").is_empty());
        assert_eq!(b.push_line("END;").len(), 1);
    }

    #[test]
    fn tables_materialise_the_changelog() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let rows = materialize(vec![
            (RowKind::Insert, s(&["a", "1"])),
            (RowKind::Insert, s(&["b", "1"])),
            (RowKind::UpdateBefore, s(&["a", "1"])),
            (RowKind::UpdateAfter, s(&["a", "2"])),
            (RowKind::Delete, s(&["b", "1"])),
        ]);
        assert_eq!(rows, vec![s(&["a", "2"])]);
        let table = box_table(&s(&["name", "n"]), &rows);
        assert_eq!(table, "+------+---+\n| name | n |\n+------+---+\n| a    | 2 |\n+------+---+\n");
    }

    #[test]
    fn the_client_runs_statements_and_shows_results_in_each_mode() {
        let mut client = Client::new(1);
        let mut out = Vec::new();
        let script = "CREATE TABLE t (k STRING, v INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3', \
            'fields.v.kind' = 'sequence', 'fields.v.start' = '1', 'fields.v.end' = '3', 'fields.k.length' = '1');";
        assert_eq!(client.execute(script, &mut out), Next::Continue);
        client.execute("SELECT SUM(v) AS total FROM t;", &mut out);
        client.execute("SET 'sql-client.execution.result-mode' = 'changelog';", &mut out);
        client.execute("SELECT v FROM t WHERE v > 2;", &mut out);
        client.execute("SET 'sql-client.execution.result-mode' = 'fancy';", &mut out);
        client.execute("SELECT nope FROM t;", &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("| total |\n+-------+\n|     6 |"), "{text}");
        assert!(text.contains("+I[3]\nReceived a total of 1 rows"), "{text}");
        assert!(text.contains("Unknown result mode 'fancy'"), "{text}");
        assert!(text.contains("[ERROR] Could not execute SQL statement.") && text.contains("nope"), "{text}");
        assert_eq!(client.execute("quit;", &mut Vec::new()), Next::Quit);
    }
}
