//! The statements of Flink's dialect, read from one statement's tokens.

use sqlparser::ast::{Ident, ObjectName, Query};
use sqlparser::tokenizer::Token;

use super::ast::{
    ColumnDef, ColumnKind, CreateTable, Insert, LikeClause, Located, ObjectKind, Statement, WatermarkDef,
};
use super::cursor::{describe, position, Cursor};
use crate::error::SqlError;

/// Statement keywords Flink has that Weir does not run.
const UNSUPPORTED_STATEMENTS: &[&str] = &[
    "LOAD", "UNLOAD", "ADD", "REMOVE", "ANALYZE", "TRUNCATE", "DELETE", "UPDATE", "CALL", "STOP", "COMPILE", "REPLACE",
    "MERGE",
];

/// The statements this parser knows, for the unknown-statement message.
const KNOWN: &str = "CREATE, DROP, ALTER, INSERT, EXECUTE, SELECT, WITH, VALUES, SET, RESET, SHOW, DESCRIBE, \
                     EXPLAIN, USE, BEGIN STATEMENT SET, QUIT";

/// Where a query may start.
fn starts_query(token: &Token) -> bool {
    matches!(token, Token::LParen)
        || super::cursor::is_word(token, "SELECT")
        || super::cursor::is_word(token, "WITH")
        || super::cursor::is_word(token, "VALUES")
}

impl Cursor<'_> {
    /// Parses one whole statement: nothing may follow it.
    pub(crate) fn parse_whole_statement(&mut self) -> Result<Statement, SqlError> {
        let statement = self.parse_statement()?;
        self.expect_end("")?;
        Ok(statement)
    }

    /// Parses one statement from the next token on.
    pub(crate) fn parse_statement(&mut self) -> Result<Statement, SqlError> {
        let first = self.peek().clone();
        if starts_query(&first.token) {
            return Ok(Statement::Query(self.query()?));
        }
        let word = match &first.token {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            _ => return Err(self.expected("a statement", "")),
        };
        match word.as_str() {
            "CREATE" => {
                self.next();
                self.create()
            }
            "DROP" => {
                self.next();
                self.drop()
            }
            "ALTER" => {
                self.next();
                self.alter()
            }
            "SHOW" => {
                self.next();
                self.show()
            }
            "DESCRIBE" | "DESC" => {
                self.next();
                self.eat_word("EXTENDED");
                Ok(Statement::Describe(self.object_name("a table name", &format!("after {word}"))?))
            }
            "EXPLAIN" => {
                self.next();
                self.explain()
            }
            "SET" => {
                self.next();
                self.set()
            }
            "RESET" => {
                self.next();
                self.reset()
            }
            "INSERT" => {
                self.next();
                Ok(Statement::Insert(self.insert_body()?))
            }
            "EXECUTE" => {
                self.next();
                if self.eat_words(&["STATEMENT", "SET"]) {
                    self.expect_word("BEGIN", "after EXECUTE STATEMENT SET")?;
                    self.statement_set_body()
                } else if self.eat_word("INSERT") {
                    Ok(Statement::Insert(self.insert_body()?))
                } else {
                    Err(self.expected("STATEMENT SET or INSERT", "after EXECUTE"))
                }
            }
            "BEGIN" => {
                self.next();
                if !self.eat_words(&["STATEMENT", "SET"]) {
                    return Err(self.expected("STATEMENT SET", "after BEGIN"));
                }
                self.expect(&Token::SemiColon, "after BEGIN STATEMENT SET")?;
                self.statement_set_body()
            }
            "USE" => {
                self.next();
                self.use_statement()
            }
            "QUIT" | "EXIT" => {
                self.next();
                Ok(Statement::Quit)
            }
            w if UNSUPPORTED_STATEMENTS.contains(&w) => {
                Err(SqlError::unsupported(format!("{w} statements are not supported by Weir"))
                    .at(position(first.span.start)))
            }
            _ => Err(self.error(format!("Unknown statement '{}'; expected one of {KNOWN}", first_word(&first.token)))),
        }
    }

    fn query(&mut self) -> Result<Box<Query>, SqlError> {
        self.sql(|p| p.parse_query())
    }

    /// An object name, with a clear message when there is none.
    pub(super) fn object_name(&mut self, what: &str, context: &str) -> Result<ObjectName, SqlError> {
        if !matches!(self.peek().token, Token::Word(_)) {
            return Err(self.expected(what, context));
        }
        self.sql(|p| p.parse_object_name(false))
    }

    pub(super) fn identifier(&mut self, what: &str, context: &str) -> Result<Ident, SqlError> {
        if !matches!(self.peek().token, Token::Word(_)) {
            return Err(self.expected(what, context));
        }
        let name = self.sql(|p| p.parse_identifier())?;
        super::reserved::check_name(&name)?;
        Ok(name)
    }

    /// `(a, b, …)`.
    pub(super) fn identifier_list(&mut self, context: &str) -> Result<Vec<Ident>, SqlError> {
        self.expect(&Token::LParen, context)?;
        let mut list = Vec::new();
        loop {
            list.push(self.identifier("a column name", context)?);
            if self.eat(&Token::Comma) {
                continue;
            }
            self.expect(&Token::RParen, "or ',' in the column list")?;
            return Ok(list);
        }
    }

    pub(super) fn if_not_exists(&mut self) -> bool {
        self.eat_words(&["IF", "NOT", "EXISTS"])
    }

    pub(super) fn unsupported_here(&self, message: impl Into<String>) -> SqlError {
        SqlError::unsupported(message).at(position(self.here()))
    }

    fn create(&mut self) -> Result<Statement, SqlError> {
        if self.is_word("OR") && self.nth_is_word(1, "REPLACE") {
            return Err(self.unsupported_here("CREATE OR REPLACE is not supported by Weir"));
        }
        let temporary = self.eat_word("TEMPORARY");
        let system = temporary && self.eat_word("SYSTEM");
        if self.eat_word("TABLE") {
            if system {
                return Err(self.error("SYSTEM is only allowed for functions: CREATE TEMPORARY SYSTEM FUNCTION"));
            }
            return self.create_table(temporary).map(Statement::CreateTable);
        }
        if self.eat_word("VIEW") {
            if system {
                return Err(self.error("SYSTEM is only allowed for functions: CREATE TEMPORARY SYSTEM FUNCTION"));
            }
            let if_not_exists = self.if_not_exists();
            let name = self.object_name("a view name", "after CREATE VIEW")?;
            let columns =
                if self.peek().token == Token::LParen { self.identifier_list("after the view name")? } else { vec![] };
            if self.eat_word("COMMENT") {
                self.string_literal("a quoted comment", "after COMMENT")?;
            }
            self.expect_word("AS", "before the query of the view")?;
            if !starts_query(&self.peek().token) {
                return Err(self.expected("a query (SELECT, WITH or VALUES)", "after AS"));
            }
            let query = self.query()?;
            return Ok(Statement::CreateView { name, columns, query, temporary, if_not_exists });
        }
        if self.eat_word("FUNCTION") {
            let if_not_exists = self.if_not_exists();
            let name = self.object_name("a function name", "after CREATE FUNCTION")?;
            self.expect_word("AS", "after the function name")?;
            let identifier = self.string_literal("the quoted function identifier", "after AS")?;
            let language = if self.eat_word("LANGUAGE") {
                let lang = match &self.peek().token {
                    Token::Word(w) => w.value.to_ascii_uppercase(),
                    _ => return Err(self.expected("JAVA, SCALA, PYTHON or RUST", "after LANGUAGE")),
                };
                if !["JAVA", "SCALA", "PYTHON", "RUST"].contains(&lang.as_str()) {
                    return Err(
                        self.error(format!("Unknown function language '{lang}'; expected JAVA, SCALA, PYTHON or RUST"))
                    );
                }
                self.next();
                Some(lang)
            } else {
                None
            };
            if self.is_word("USING") {
                return Err(self.unsupported_here("CREATE FUNCTION … USING JAR is not supported by Weir"));
            }
            return Ok(Statement::CreateFunction { name, identifier, language, temporary, if_not_exists });
        }
        if self.eat_word("CATALOG") {
            return self.create_catalog();
        }
        if self.eat_word("DATABASE") {
            return self.create_database();
        }
        if self.is_word("MODEL") {
            return Err(self.unsupported_here("CREATE MODEL is not supported by Weir"));
        }
        Err(self.expected("TABLE, VIEW, FUNCTION, CATALOG or DATABASE", "after CREATE"))
    }

    fn create_table(&mut self, temporary: bool) -> Result<CreateTable, SqlError> {
        let if_not_exists = self.if_not_exists();
        let name = self.object_name("a table name", "after CREATE TABLE")?;
        let mut table = CreateTable { temporary, if_not_exists, ..CreateTable::named(name) };
        if self.eat(&Token::LParen) {
            self.table_elements(&mut table)?;
        } else if !self.is_word("WITH") && !self.is_word("LIKE") {
            return Err(self.expected("'(' and the column list", "after the table name"));
        }
        if self.eat_word("COMMENT") {
            table.comment = Some(self.string_literal("a quoted comment", "after COMMENT")?);
        }
        if self.eat_words(&["PARTITIONED", "BY"]) {
            table.partitioned_by = self.identifier_list("after PARTITIONED BY")?;
        }
        if self.is_word("DISTRIBUTED") {
            return Err(self.unsupported_here("DISTRIBUTED BY is not supported by Weir"));
        }
        if self.eat_word("WITH") {
            table.options = self.options("after WITH")?;
        }
        if self.eat_word("LIKE") {
            table.like = Some(self.like_clause()?);
        }
        if self.is_word("AS") {
            return Err(self.unsupported_here(
                "CREATE TABLE … AS SELECT is not supported by Weir; create the table, then INSERT INTO it",
            ));
        }
        if table.columns.is_empty() && table.like.is_none() {
            return Err(self.error("A table needs columns or LIKE source_table"));
        }
        Ok(table)
    }

    /// The elements between the parentheses of `CREATE TABLE` (the `(` is consumed).
    fn table_elements(&mut self, table: &mut CreateTable) -> Result<(), SqlError> {
        loop {
            let what;
            if self.is_word("WATERMARK") {
                let at = self.here();
                self.next();
                self.expect_word("FOR", "after WATERMARK")?;
                let column = self.identifier("the rowtime column name", "after WATERMARK FOR")?;
                self.expect_word("AS", &format!("after WATERMARK FOR {}", column.value))?;
                let expr = self.sql(|p| p.parse_expr())?;
                if table.watermark.is_some() {
                    return Err(SqlError::syntax("A table can have only one WATERMARK", position(at)));
                }
                what = format!("the watermark of '{}'", column.value);
                table.watermark = Some(WatermarkDef { column, expr });
            } else if self.is_word("CONSTRAINT") || (self.is_word("PRIMARY") && self.nth_is_word(1, "KEY")) {
                let at = self.here();
                if self.eat_word("CONSTRAINT") {
                    self.identifier("a constraint name", "after CONSTRAINT")?;
                }
                if self.is_word("UNIQUE") {
                    return Err(self.unsupported_here("UNIQUE constraints are not supported by Flink"));
                }
                self.expect_word("PRIMARY", "after the constraint name")?;
                self.expect_word("KEY", "after PRIMARY")?;
                let columns = self.identifier_list("after PRIMARY KEY")?;
                self.not_enforced()?;
                if !table.primary_key.is_empty() {
                    return Err(SqlError::syntax("A table can have only one PRIMARY KEY", position(at)));
                }
                table.primary_key = columns;
                what = "the primary key".to_string();
            } else {
                let column = self.column(table)?;
                what = format!("column '{}'", column.name.value);
                table.columns.push(column);
            }
            if self.eat(&Token::Comma) {
                continue;
            }
            if self.eat(&Token::RParen) {
                return Ok(());
            }
            let context = if self.peek().token == Token::EOF || self.is_word("WITH") {
                format!("after the column list (after {what})")
            } else {
                format!("after {what}")
            };
            let what_expected = if context.starts_with("after the column list") { "')'" } else { "',' or ')'" };
            return Err(self.expected(what_expected, &context));
        }
    }

    /// `NOT ENFORCED` after a primary key.
    pub(super) fn not_enforced(&mut self) -> Result<(), SqlError> {
        if self.eat_words(&["NOT", "ENFORCED"]) {
            return Ok(());
        }
        if self.is_word("ENFORCED") {
            return Err(self
                .error("Flink does not support ENFORCED primary keys (it does not own the data); write NOT ENFORCED"));
        }
        Err(self.expected("NOT ENFORCED", "after PRIMARY KEY (Flink only supports NOT ENFORCED primary keys)"))
    }

    pub(super) fn column(&mut self, table: &mut CreateTable) -> Result<ColumnDef, SqlError> {
        let name = self.identifier("a column name, WATERMARK or PRIMARY KEY", "in the column list")?;
        if self.eat_word("AS") {
            let expr = self.sql(|p| p.parse_expr())?;
            let comment = self.comment()?;
            return Ok(ColumnDef { name, kind: ColumnKind::Computed(expr), comment });
        }
        if !matches!(self.peek().token, Token::Word(_)) {
            return Err(self.expected("a data type", &format!("for column '{}'", name.value)));
        }
        let ty = self.parse_flink_type()?;
        let kind = if self.eat_word("METADATA") {
            let key = if self.eat_word("FROM") {
                Some(self.string_literal("a quoted metadata key", "after METADATA FROM")?)
            } else {
                None
            };
            let is_virtual = self.eat_word("VIRTUAL");
            ColumnKind::Metadata { ty, key, is_virtual }
        } else {
            ColumnKind::Physical(ty)
        };
        if self.is_word("CONSTRAINT") || self.is_word("PRIMARY") {
            let at = self.here();
            if self.eat_word("CONSTRAINT") {
                self.identifier("a constraint name", "after CONSTRAINT")?;
            }
            self.expect_word("PRIMARY", "after the constraint name")?;
            self.expect_word("KEY", "after PRIMARY")?;
            self.not_enforced()?;
            if !table.primary_key.is_empty() {
                return Err(SqlError::syntax("A table can have only one PRIMARY KEY", position(at)));
            }
            table.primary_key = vec![name.clone()];
        }
        let comment = self.comment()?;
        Ok(ColumnDef { name, kind, comment })
    }

    pub(super) fn comment(&mut self) -> Result<Option<String>, SqlError> {
        if self.eat_word("COMMENT") {
            Ok(Some(self.string_literal("a quoted comment", "after COMMENT")?))
        } else {
            Ok(None)
        }
    }

    /// `('k' = 'v', …)`.
    pub(super) fn options(&mut self, context: &str) -> Result<Vec<(String, String)>, SqlError> {
        self.expect(&Token::LParen, context)?;
        let mut options = Vec::new();
        if self.eat(&Token::RParen) {
            return Ok(options);
        }
        loop {
            let key = match &self.peek().token {
                Token::SingleQuotedString(s) => s.clone(),
                Token::Word(w) if w.quote_style.is_none() => {
                    return Err(self
                        .error(format!("Option keys are quoted strings: write '{}' instead of {}", w.value, w.value)))
                }
                _ => return Err(self.expected("a quoted option key such as 'connector'", "")),
            };
            self.next();
            self.expect(&Token::Eq, &format!("after the option key '{key}'"))?;
            let value = match &self.peek().token {
                Token::SingleQuotedString(s) => s.clone(),
                Token::Number(n, _) => {
                    return Err(self.error(format!("Option values are quoted strings: write '{n}' instead of {n}")))
                }
                Token::Word(w) if w.quote_style.is_none() && !w.value.is_empty() => {
                    return Err(self.error(format!(
                        "Option values are quoted strings: write '{}' instead of {}",
                        w.value, w.value
                    )))
                }
                _ => return Err(self.expected("a quoted value", &format!("for the option '{key}'"))),
            };
            self.next();
            options.push((key.clone(), value));
            if self.eat(&Token::Comma) {
                continue;
            }
            self.expect(&Token::RParen, &format!("or ',' after the option '{key}'"))?;
            return Ok(options);
        }
    }

    /// `LIKE source [(INCLUDING ALL EXCLUDING OPTIONS …)]` (`LIKE` consumed).
    fn like_clause(&mut self) -> Result<LikeClause, SqlError> {
        let source = self.object_name("the name of the table to copy", "after LIKE")?;
        let mut options = Vec::new();
        if self.eat(&Token::LParen) {
            loop {
                if self.eat(&Token::RParen) {
                    break;
                }
                if !options.is_empty() {
                    self.eat(&Token::Comma);
                }
                let strategy = match &self.peek().token {
                    Token::Word(w)
                        if ["INCLUDING", "EXCLUDING", "OVERWRITING"]
                            .contains(&w.value.to_ascii_uppercase().as_str()) =>
                    {
                        w.value.to_ascii_uppercase()
                    }
                    _ => return Err(self.expected("INCLUDING, EXCLUDING, OVERWRITING or ')'", "in the LIKE options")),
                };
                self.next();
                let features: &[&str] = if strategy == "OVERWRITING" {
                    &["GENERATED", "OPTIONS", "WATERMARKS", "METADATA"]
                } else {
                    &["ALL", "CONSTRAINTS", "PARTITIONS", "GENERATED", "OPTIONS", "WATERMARKS", "METADATA"]
                };
                let feature = match &self.peek().token {
                    Token::Word(w) if features.contains(&w.value.to_ascii_uppercase().as_str()) => {
                        w.value.to_ascii_uppercase()
                    }
                    _ => return Err(self.expected(&features.join(", "), &format!("after {strategy}"))),
                };
                self.next();
                options.push((strategy, feature));
            }
        }
        Ok(LikeClause { source, options })
    }

    fn drop(&mut self) -> Result<Statement, SqlError> {
        let temporary = self.eat_word("TEMPORARY");
        if temporary {
            self.eat_word("SYSTEM");
        }
        let kind = if self.eat_word("TABLE") {
            ObjectKind::Table
        } else if self.eat_word("VIEW") {
            ObjectKind::View
        } else if self.eat_word("FUNCTION") {
            ObjectKind::Function
        } else if !temporary && self.eat_word("CATALOG") {
            return self.drop_catalog();
        } else if !temporary && self.eat_word("DATABASE") {
            return self.drop_database();
        } else {
            if self.is_word("MODEL") {
                return Err(self.unsupported_here("DROP MODEL is not supported by Weir"));
            }
            return Err(self.expected("TABLE, VIEW, FUNCTION, CATALOG or DATABASE", "after DROP"));
        };
        let if_exists = self.eat_words(&["IF", "EXISTS"]);
        let name = self.object_name("a name", "after DROP")?;
        Ok(Statement::Drop { kind, name, if_exists })
    }

    fn alter(&mut self) -> Result<Statement, SqlError> {
        if self.eat_word("DATABASE") {
            return self.alter_database();
        }
        if !self.eat_word("TABLE") {
            for kind in ["VIEW", "FUNCTION", "CATALOG", "MODEL"] {
                if self.is_word(kind) {
                    return Err(self.unsupported_here(format!("ALTER {kind} is not supported by Weir")));
                }
            }
            return Err(self.expected("TABLE or DATABASE", "after ALTER"));
        }
        if self.is_word("IF") {
            return Err(self.unsupported_here("ALTER TABLE IF EXISTS is not supported by Weir"));
        }
        let name = self.object_name("a table name", "after ALTER TABLE")?;
        if self.eat_word("SET") {
            let options = self.options("after ALTER TABLE … SET")?;
            return Ok(Statement::AlterTableSet { name, options });
        }
        if self.is_word("RENAME") && self.nth_is_word(1, "TO") {
            self.next();
            self.next();
            let to = self.object_name("the new table name", "after RENAME TO")?;
            return Ok(Statement::AlterTableRename { name, to });
        }
        let change = self.alter_table_change()?;
        Ok(Statement::AlterTable { name, change })
    }

    fn explain(&mut self) -> Result<Statement, SqlError> {
        if !self.eat_words(&["PLAN", "FOR"]) {
            const DETAILS: [&str; 4] = ["ESTIMATED_COST", "CHANGELOG_MODE", "JSON_EXECUTION_PLAN", "PLAN_ADVICE"];
            while DETAILS.iter().any(|d| self.is_word(d)) {
                self.next();
                if !self.eat(&Token::Comma) {
                    break;
                }
                if !DETAILS.iter().any(|d| self.is_word(d)) {
                    return Err(self.expected("an EXPLAIN detail (ESTIMATED_COST, CHANGELOG_MODE, …)", "after ','"));
                }
            }
        }
        let start = self.here();
        let node = if self.is_word("STATEMENT") && self.nth_is_word(1, "SET") {
            self.next();
            self.next();
            self.expect_word("BEGIN", "after STATEMENT SET")?;
            self.statement_set_body()?
        } else {
            if self.peek().token == Token::EOF {
                return Err(self.expected("a statement", "after EXPLAIN"));
            }
            self.parse_statement()?
        };
        let text = self.src.slice(start, self.last_end()).to_string();
        Ok(Statement::Explain(Box::new(Located { node, start: position(start), text })))
    }

    /// The raw text from the next token up to (not including) the first token `stop` or
    /// the end of the statement.
    fn raw_until(&mut self, stop: Option<&Token>) -> String {
        let start = self.here();
        let mut consumed = false;
        while self.peek().token != Token::EOF && Some(&self.peek().token) != stop {
            self.next();
            consumed = true;
        }
        if consumed {
            self.src.slice(start, self.last_end()).trim().to_string()
        } else {
            String::new()
        }
    }

    /// A `SET`/`RESET` key or value: a quoted string on its own, or the raw text.
    fn raw_or_quoted(&mut self, stop: Option<&Token>) -> String {
        if let Token::SingleQuotedString(s) = &self.peek().token {
            let next = &self.peek_nth(1).token;
            if *next == Token::EOF || Some(next) == stop {
                let s = s.clone();
                self.next();
                return s;
            }
        }
        let raw = self.raw_until(stop);
        match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(inner) if raw.len() >= 2 => inner.to_string(),
            _ => raw,
        }
    }

    fn set(&mut self) -> Result<Statement, SqlError> {
        if self.peek().token == Token::EOF {
            return Ok(Statement::Set(None));
        }
        if self.peek().token == Token::Eq {
            return Err(self.expected("a configuration key", "after SET"));
        }
        let key = match &self.peek().token {
            Token::SingleQuotedString(s) => {
                let s = s.clone();
                self.next();
                s
            }
            _ => self.raw_or_quoted(Some(&Token::Eq)),
        };
        self.expect(&Token::Eq, &format!("after the key '{key}' in SET"))?;
        if self.peek().token == Token::EOF {
            return Err(self.expected("a value", &format!("after '=' for the key '{key}'")));
        }
        let value = self.raw_or_quoted(None);
        Ok(Statement::Set(Some((key, value))))
    }

    fn reset(&mut self) -> Result<Statement, SqlError> {
        if self.peek().token == Token::EOF {
            return Ok(Statement::Reset(None));
        }
        Ok(Statement::Reset(Some(self.raw_or_quoted(None))))
    }

    /// `INTO|OVERWRITE table [(cols)] query` (after `INSERT`).
    fn insert_body(&mut self) -> Result<Insert, SqlError> {
        let overwrite = if self.eat_word("INTO") {
            false
        } else if self.eat_word("OVERWRITE") {
            true
        } else {
            return Err(self.expected("INTO or OVERWRITE", "after INSERT"));
        };
        let table =
            self.object_name("a table name", if overwrite { "after INSERT OVERWRITE" } else { "after INSERT INTO" })?;
        if self.is_word("PARTITION") {
            return Err(self.unsupported_here("INSERT … PARTITION (…) is not supported by Weir"));
        }
        let columns = if self.peek().token == Token::LParen && !starts_query(&self.peek_nth(1).token) {
            self.identifier_list("after the table name")?
        } else {
            vec![]
        };
        if !starts_query(&self.peek().token) {
            return Err(self.expected("a query (SELECT, WITH or VALUES)", &format!("after INSERT INTO {table}")));
        }
        let query = self.query()?;
        Ok(Insert { table, columns, query, overwrite })
    }

    /// `insert; insert; … END` of a statement set (after `BEGIN`).
    fn statement_set_body(&mut self) -> Result<Statement, SqlError> {
        let mut inserts = Vec::new();
        loop {
            while self.eat(&Token::SemiColon) {}
            if self.eat_word("END") {
                return Ok(Statement::StatementSet(inserts));
            }
            if self.peek().token == Token::EOF {
                return Err(self.expected("END", "to close the statement set"));
            }
            let start = self.here();
            if self.is_word("EXECUTE") && self.nth_is_word(1, "INSERT") {
                self.next();
            }
            if !self.eat_word("INSERT") {
                return Err(self.error(format!(
                    "Only INSERT statements are allowed in a statement set, found {}",
                    describe(&self.peek().token)
                )));
            }
            let insert = self.insert_body()?;
            let text = self.src.slice(start, self.last_end()).to_string();
            inserts.push(Located { node: insert, start: position(start), text });
            if !self.eat(&Token::SemiColon) && !self.is_word("END") {
                return Err(self.expected("';'", "after the INSERT statement in the statement set"));
            }
        }
    }
}

fn first_word(token: &Token) -> String {
    match token {
        Token::Word(w) => w.value.clone(),
        other => other.to_string(),
    }
}
