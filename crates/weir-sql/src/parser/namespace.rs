//! The statements of Flink's namespaces: `CREATE|DROP CATALOG`, `CREATE|DROP|ALTER DATABASE`,
//! `USE [CATALOG]`, and `SHOW` (catalogs, databases, tables, views, columns, functions, what
//! is current, `CREATE TABLE|VIEW`).

use sqlparser::tokenizer::Token;

use super::ast::{LikePattern, ShowWhat, Statement};
use super::cursor::Cursor;
use crate::error::SqlError;

/// What `SHOW` takes, for its messages.
const SHOW_KINDS: &str = "CATALOGS, CURRENT CATALOG, DATABASES, CURRENT DATABASE, TABLES, VIEWS, COLUMNS, \
                          FUNCTIONS, USER FUNCTIONS, CREATE TABLE or CREATE VIEW";

impl Cursor<'_> {
    /// `[IF NOT EXISTS] name [COMMENT '…'] [WITH (…)]` after `CREATE CATALOG`.
    pub(super) fn create_catalog(&mut self) -> Result<Statement, SqlError> {
        let if_not_exists = self.if_not_exists();
        let name = self.identifier("a catalog name", "after CREATE CATALOG")?;
        self.comment()?;
        let options = if self.eat_word("WITH") { self.options("after WITH")? } else { vec![] };
        Ok(Statement::CreateCatalog { name, options, if_not_exists })
    }

    /// `[IF EXISTS] name` after `DROP CATALOG`.
    pub(super) fn drop_catalog(&mut self) -> Result<Statement, SqlError> {
        let if_exists = self.eat_words(&["IF", "EXISTS"]);
        let name = self.identifier("a catalog name", "after DROP CATALOG")?;
        Ok(Statement::DropCatalog { name, if_exists })
    }

    /// `CATALOG name` or `[cat.]db` after `USE`.
    pub(super) fn use_statement(&mut self) -> Result<Statement, SqlError> {
        if self.is_word("MODULES") {
            return Err(self.unsupported_here("USE MODULES is not supported by Weir"));
        }
        // `USE catalog` alone names a database called `catalog`, as in Flink.
        if self.is_word("CATALOG") && matches!(self.peek_nth(1).token, Token::Word(_)) {
            self.next();
            let name = self.identifier("a catalog name", "after USE CATALOG")?;
            return Ok(Statement::UseCatalog(name));
        }
        let name = self.object_name("a database name or CATALOG", "after USE")?;
        Ok(Statement::UseDatabase(name))
    }

    /// `[IF NOT EXISTS] [cat.]db [COMMENT '…'] [WITH (…)]` after `CREATE DATABASE`.
    pub(super) fn create_database(&mut self) -> Result<Statement, SqlError> {
        let if_not_exists = self.if_not_exists();
        let name = self.object_name("a database name", "after CREATE DATABASE")?;
        let comment = self.comment()?;
        let properties = if self.eat_word("WITH") { self.options("after WITH")? } else { vec![] };
        Ok(Statement::CreateDatabase { name, comment, properties, if_not_exists })
    }

    /// `[IF EXISTS] [cat.]db [RESTRICT | CASCADE]` after `DROP DATABASE`.
    pub(super) fn drop_database(&mut self) -> Result<Statement, SqlError> {
        let if_exists = self.eat_words(&["IF", "EXISTS"]);
        let name = self.object_name("a database name", "after DROP DATABASE")?;
        let cascade = if self.eat_word("CASCADE") {
            true
        } else {
            self.eat_word("RESTRICT");
            false
        };
        Ok(Statement::DropDatabase { name, if_exists, cascade })
    }

    /// `[cat.]db SET (…)` after `ALTER DATABASE`.
    pub(super) fn alter_database(&mut self) -> Result<Statement, SqlError> {
        let name = self.object_name("a database name", "after ALTER DATABASE")?;
        self.expect_word("SET", "after the database name (ALTER DATABASE only SETs properties)")?;
        let properties = self.options("after ALTER DATABASE … SET")?;
        Ok(Statement::AlterDatabase { name, properties })
    }

    /// `[NOT] LIKE 'pattern'`, if written.
    fn like_pattern(&mut self) -> Result<Option<LikePattern>, SqlError> {
        let negated = self.is_word("NOT") && self.nth_is_word(1, "LIKE");
        if negated {
            self.next();
        }
        if !self.eat_word("LIKE") {
            return Ok(None);
        }
        let pattern = self.string_literal("a quoted pattern", "after LIKE")?;
        Ok(Some(LikePattern { pattern, negated }))
    }

    /// What follows `SHOW`.
    pub(super) fn show(&mut self) -> Result<Statement, SqlError> {
        let what = if self.eat_word("CATALOGS") {
            ShowWhat::Catalogs(self.like_pattern()?)
        } else if self.eat_words(&["CURRENT", "CATALOG"]) {
            ShowWhat::CurrentCatalog
        } else if self.eat_words(&["CURRENT", "DATABASE"]) {
            ShowWhat::CurrentDatabase
        } else if self.eat_word("DATABASES") {
            let from = if self.eat_word("FROM") || self.eat_word("IN") {
                Some(self.identifier("a catalog name", "after SHOW DATABASES FROM")?)
            } else {
                None
            };
            ShowWhat::Databases { from, like: self.like_pattern()? }
        } else if self.is_word("TABLES") || self.is_word("VIEWS") {
            let views = self.eat_word("VIEWS");
            if !views {
                self.next();
            }
            let from = if self.eat_word("FROM") || self.eat_word("IN") {
                Some(self.object_name("a database name", "after FROM")?)
            } else {
                None
            };
            let like = self.like_pattern()?;
            if views {
                ShowWhat::Views { from, like }
            } else {
                ShowWhat::Tables { from, like }
            }
        } else if self.eat_word("COLUMNS") {
            if !self.eat_word("FROM") && !self.eat_word("IN") {
                return Err(self.expected("FROM or IN", "after SHOW COLUMNS"));
            }
            let table = self.object_name("a table or view name", "after SHOW COLUMNS FROM")?;
            ShowWhat::Columns { table, like: self.like_pattern()? }
        } else if self.eat_word("FUNCTIONS") {
            ShowWhat::Functions { user_only: false }
        } else if self.eat_words(&["USER", "FUNCTIONS"]) {
            ShowWhat::Functions { user_only: true }
        } else if self.eat_words(&["CREATE", "TABLE"]) {
            ShowWhat::CreateTable(self.object_name("a table name", "after SHOW CREATE TABLE")?)
        } else if self.eat_words(&["CREATE", "VIEW"]) {
            ShowWhat::CreateView(self.object_name("a view name", "after SHOW CREATE VIEW")?)
        } else {
            return match &self.peek().token {
                Token::Word(w) => Err(self.unsupported_here(format!(
                    "SHOW {} is not supported by Weir; expected {SHOW_KINDS}",
                    w.value.to_ascii_uppercase()
                ))),
                _ => Err(self.expected(SHOW_KINDS, "after SHOW")),
            };
        };
        if matches!(what, ShowWhat::Functions { .. })
            && (self.is_word("FROM") || self.is_word("IN") || self.is_word("LIKE") || self.is_word("NOT"))
        {
            return Err(self.unsupported_here("SHOW FUNCTIONS … FROM/IN/LIKE is not supported by Weir"));
        }
        Ok(Statement::Show(what))
    }
}
