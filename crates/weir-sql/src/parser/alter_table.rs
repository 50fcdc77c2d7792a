//! The schema changes of `ALTER TABLE`: `ADD`, `MODIFY`, `DROP`, `RENAME col TO`, `RESET`
//! (`SET (…)` and `RENAME TO` are read with the statement, in `stmt.rs`).

use sqlparser::tokenizer::Token;

use super::ast::{AlterTableChange, ColumnPosition, CreateTable, SchemaItem, WatermarkDef};
use super::cursor::Cursor;
use crate::error::SqlError;

impl Cursor<'_> {
    /// The change after `ALTER TABLE name`.
    pub(super) fn alter_table_change(&mut self) -> Result<AlterTableChange, SqlError> {
        if self.eat_word("ADD") {
            return Ok(AlterTableChange::Add(self.schema_items("ADD")?));
        }
        if self.eat_word("MODIFY") {
            return Ok(AlterTableChange::Modify(self.schema_items("MODIFY")?));
        }
        if self.eat_word("DROP") {
            if self.eat_words(&["PRIMARY", "KEY"]) {
                return Ok(AlterTableChange::DropPrimaryKey);
            }
            if self.eat_word("CONSTRAINT") {
                self.identifier("a constraint name", "after DROP CONSTRAINT")?;
                return Ok(AlterTableChange::DropPrimaryKey);
            }
            if self.eat_word("WATERMARK") {
                return Ok(AlterTableChange::DropWatermark);
            }
            let columns = if self.peek().token == Token::LParen {
                self.identifier_list("after DROP")?
            } else {
                vec![self.identifier("a column name, (columns), WATERMARK or PRIMARY KEY", "after DROP")?]
            };
            return Ok(AlterTableChange::DropColumns(columns));
        }
        if self.eat_word("RENAME") {
            let from = self.identifier("a column name", "after RENAME")?;
            self.expect_word("TO", &format!("after RENAME {}", from.value))?;
            let to = self.identifier("the new column name", "after TO")?;
            return Ok(AlterTableChange::RenameColumn { from, to });
        }
        if self.eat_word("RESET") {
            self.expect(&Token::LParen, "after RESET")?;
            let mut keys = Vec::new();
            while !self.eat(&Token::RParen) {
                if !keys.is_empty() {
                    self.expect(&Token::Comma, "or ')' after the option key")?;
                }
                keys.push(self.string_literal("a quoted option key", "in RESET (…)")?);
            }
            return Ok(AlterTableChange::Reset(keys));
        }
        Err(self.expected("SET, RESET, ADD, MODIFY, DROP or RENAME", "after the table name"))
    }

    /// One schema item, or a parenthesized list of them, after `ADD` / `MODIFY`.
    fn schema_items(&mut self, op: &str) -> Result<Vec<SchemaItem>, SqlError> {
        if !self.eat(&Token::LParen) {
            return self.schema_item(op);
        }
        let mut items = Vec::new();
        loop {
            items.extend(self.schema_item(op)?);
            if self.eat(&Token::Comma) {
                continue;
            }
            self.expect(&Token::RParen, &format!("or ',' in the {op} list"))?;
            return Ok(items);
        }
    }

    /// A column (with its position), a watermark or a primary key: two items for a column
    /// declared `PRIMARY KEY` inline.
    fn schema_item(&mut self, op: &str) -> Result<Vec<SchemaItem>, SqlError> {
        if self.eat_word("WATERMARK") {
            self.expect_word("FOR", "after WATERMARK")?;
            let column = self.identifier("the rowtime column name", "after WATERMARK FOR")?;
            self.expect_word("AS", &format!("after WATERMARK FOR {}", column.value))?;
            let expr = self.sql(|p| p.parse_expr())?;
            return Ok(vec![SchemaItem::Watermark(WatermarkDef { column, expr })]);
        }
        if self.is_word("CONSTRAINT") || (self.is_word("PRIMARY") && self.nth_is_word(1, "KEY")) {
            if self.eat_word("CONSTRAINT") {
                self.identifier("a constraint name", "after CONSTRAINT")?;
            }
            self.expect_word("PRIMARY", "after the constraint name")?;
            self.expect_word("KEY", "after PRIMARY")?;
            let columns = self.identifier_list("after PRIMARY KEY")?;
            self.not_enforced()?;
            return Ok(vec![SchemaItem::PrimaryKey(columns)]);
        }
        // A scratch table takes a primary key written on the column.
        let mut scratch = CreateTable::named(sqlparser::ast::ObjectName(vec![]));
        let column = self.column(&mut scratch)?;
        let position = if self.eat_word("FIRST") {
            ColumnPosition::First
        } else if self.eat_word("AFTER") {
            ColumnPosition::After(self.identifier("a column name", &format!("after {op} … AFTER"))?)
        } else {
            ColumnPosition::Default
        };
        let mut items = vec![SchemaItem::Column(column, position)];
        if !scratch.primary_key.is_empty() {
            items.push(SchemaItem::PrimaryKey(scratch.primary_key));
        }
        Ok(items)
    }
}
