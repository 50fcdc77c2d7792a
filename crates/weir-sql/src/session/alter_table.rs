//! `ALTER TABLE … ADD | MODIFY | DROP | RENAME col TO | RESET`: the schema changes of Flink's
//! `AlterSchemaConverter`, with its checks and its words — a column a computed column, the
//! watermark, the primary key or the partitioning uses is not dropped or renamed, `AFTER`
//! names an existing column, a table has one watermark and one primary key.
//!
//! A change is applied to a copy of the table's definition; the copy is then checked as a
//! created table is (computed columns typed again over the new columns, the rowtime column's
//! type, the connector's options) and replaces the table only when all of it holds.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::sync::Arc;

use sqlparser::ast::{Expr, Visit, Visitor};

use super::{computed_columns_plan, Session};
use crate::catalog::{Column, ColumnSource, TableDef};
use crate::error::{Result, SqlError};
use crate::parser::ast::{AlterTableChange, ColumnDef, ColumnKind, ColumnPosition, SchemaItem};
use crate::types::{FlinkType, TypeKind};

/// Flink's refusal of a schema change: its fixed first line, then why.
fn refused(why: impl std::fmt::Display) -> SqlError {
    SqlError::validation(format!("Failed to execute ALTER TABLE statement.\n{why}"))
}

/// The column `def` declares. A computed column's type is worked out once the table is
/// complete (see [`type_computed_columns`]).
pub(super) fn column_of(def: &ColumnDef) -> Column {
    let (ty, source) = match &def.kind {
        ColumnKind::Physical(ty) => (ty.clone(), ColumnSource::Physical),
        ColumnKind::Metadata { ty, key, is_virtual } => (
            ty.clone(),
            ColumnSource::Metadata {
                key: key.clone().unwrap_or_else(|| def.name.value.clone()),
                is_virtual: *is_virtual,
            },
        ),
        ColumnKind::Computed(expr) => (FlinkType::nullable(TypeKind::Int), ColumnSource::Computed(expr.clone())),
    };
    Column { name: def.name.value.clone(), ty, source }
}

/// The column names `expr` reads (the last part of a compound name).
fn referenced(expr: &Expr) -> BTreeSet<String> {
    struct Names(BTreeSet<String>);
    impl Visitor for Names {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            match expr {
                Expr::Identifier(i) => {
                    self.0.insert(i.value.clone());
                }
                Expr::CompoundIdentifier(parts) => {
                    if let Some(last) = parts.last() {
                        self.0.insert(last.value.clone());
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut names = Names(BTreeSet::new());
    let _ = expr.visit(&mut names);
    names.0
}

/// Refuses dropping or renaming `column` when something else of `table` uses it; `leaving`
/// are the columns dropped with it (a computed column dropped too does not count).
fn check_unused(table: &TableDef, column: &str, leaving: &BTreeSet<&str>) -> Result<()> {
    let users: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| !leaving.contains(c.name.as_str()))
        .filter(|c| matches!(&c.source, ColumnSource::Computed(e) if referenced(e).contains(column)))
        .map(|c| c.name.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !users.is_empty() {
        let users: Vec<String> = users.iter().map(|u| format!("`{u}`")).collect();
        return Err(refused(format!("The column `{column}` is referenced by computed column {}.", users.join(", "))));
    }
    if let Some((rowtime, expr)) = &table.watermark {
        if rowtime == column || referenced(expr).contains(column) {
            return Err(refused(format!("The column `{column}` is referenced by watermark expression.")));
        }
    }
    if table.primary_key.iter().any(|k| k == column) {
        return Err(refused(format!("The column `{column}` is used as the primary key.")));
    }
    if table.partitioned_by.iter().any(|k| k == column) {
        return Err(refused(format!("The column `{column}` is used as the partition keys.")));
    }
    Ok(())
}

/// Puts `column` at `position` among `columns` (`Default`: last).
fn place(columns: &mut Vec<Column>, column: Column, position: &ColumnPosition) -> Result<()> {
    match position {
        ColumnPosition::Default => columns.push(column),
        ColumnPosition::First => columns.insert(0, column),
        ColumnPosition::After(after) => {
            let at = columns.iter().position(|c| c.name == after.value).ok_or_else(|| {
                refused(format!("Referenced column `{}` by 'AFTER' does not exist in the table.", after.value))
            })?;
            columns.insert(at + 1, column);
        }
    }
    Ok(())
}

/// Refuses a column named twice in one `ADD`/`MODIFY` list.
fn check_distinct(items: &[SchemaItem]) -> Result<()> {
    let mut seen = BTreeSet::new();
    for item in items {
        if let SchemaItem::Column(def, _) = item {
            if !seen.insert(def.name.value.as_str()) {
                return Err(refused(format!("Encounter duplicate column `{}`.", def.name.value)));
            }
        }
    }
    Ok(())
}

/// Sets the primary key of `table` to `columns`, which must be its columns.
fn set_primary_key(table: &mut TableDef, columns: &[sqlparser::ast::Ident]) -> Result<()> {
    let names: Vec<String> = columns.iter().map(|c| c.value.clone()).collect();
    if let Some(missing) = names.iter().find(|n| table.column(n).is_none()) {
        return Err(refused(format!(
            "Invalid primary key 'PK_{}'. Column '{missing}' does not exist.",
            names.join("_")
        )));
    }
    table.primary_key = names;
    Ok(())
}

/// Sets the watermark of `table`: its rowtime column must be a column.
fn set_watermark(table: &mut TableDef, w: &crate::parser::ast::WatermarkDef) -> Result<()> {
    if table.column(&w.column.value).is_none() {
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        return Err(refused(format!(
            "Invalid column name '{}' for rowtime attribute in watermark declaration. Available columns are: [{}]",
            w.column.value,
            names.join(", ")
        )));
    }
    table.watermark = Some((w.column.value.clone(), w.expr.clone()));
    Ok(())
}

/// Applies `change` to `table` (not yet checked as a whole: see [`Session::alter_table`]).
pub(super) fn apply(table: &mut TableDef, change: &AlterTableChange) -> Result<()> {
    match change {
        AlterTableChange::Add(items) => {
            check_distinct(items)?;
            for item in items {
                match item {
                    SchemaItem::Column(def, position) => {
                        if table.column(&def.name.value).is_some() {
                            return Err(refused(format!("Column `{}` already exists in the table.", def.name.value)));
                        }
                        place(&mut table.columns, column_of(def), position)?;
                    }
                    SchemaItem::Watermark(w) => {
                        if let Some((rowtime, expr)) = &table.watermark {
                            return Err(refused(format!(
                                "The current table has already defined the watermark strategy `{rowtime}` AS {expr}. \
                                 You might want to drop it before adding a new one."
                            )));
                        }
                        set_watermark(table, w)?;
                    }
                    SchemaItem::PrimaryKey(columns) => {
                        if !table.primary_key.is_empty() {
                            let keys: Vec<String> = table.primary_key.iter().map(|k| format!("`{k}`")).collect();
                            return Err(refused(format!(
                                "The current table has already defined the primary key constraint [{}]. You might \
                                 want to drop it before adding a new one.",
                                keys.join(", ")
                            )));
                        }
                        set_primary_key(table, columns)?;
                    }
                }
            }
        }
        AlterTableChange::Modify(items) => {
            check_distinct(items)?;
            for item in items {
                match item {
                    SchemaItem::Column(def, position) => {
                        let at = table.columns.iter().position(|c| c.name == def.name.value).ok_or_else(|| {
                            refused(format!("Column `{}` does not exist in the table.", def.name.value))
                        })?;
                        if *position == ColumnPosition::Default {
                            table.columns[at] = column_of(def);
                        } else {
                            table.columns.remove(at);
                            place(&mut table.columns, column_of(def), position)?;
                        }
                    }
                    SchemaItem::Watermark(w) => {
                        if table.watermark.is_none() {
                            return Err(refused(
                                "The current table does not define any watermark. You might want to add a new one.",
                            ));
                        }
                        set_watermark(table, w)?;
                    }
                    SchemaItem::PrimaryKey(columns) => {
                        if table.primary_key.is_empty() {
                            return Err(refused(
                                "The current table does not define any primary key constraint. You might want to \
                                 add a new one.",
                            ));
                        }
                        set_primary_key(table, columns)?;
                    }
                }
            }
        }
        AlterTableChange::DropColumns(columns) => {
            let mut leaving = BTreeSet::new();
            for c in columns {
                if !leaving.insert(c.value.as_str()) {
                    return Err(refused(format!("Duplicate column `{}`.", c.value)));
                }
                if table.column(&c.value).is_none() {
                    return Err(refused(format!("The column `{}` does not exist in the base table.", c.value)));
                }
            }
            for c in columns {
                check_unused(table, &c.value, &leaving)?;
            }
            table.columns.retain(|c| !leaving.contains(c.name.as_str()));
        }
        AlterTableChange::DropWatermark => {
            if table.watermark.take().is_none() {
                return Err(refused("The current table does not define any watermark strategy."));
            }
        }
        AlterTableChange::DropPrimaryKey => {
            if table.primary_key.is_empty() {
                return Err(refused("The current table does not define any primary key."));
            }
            table.primary_key.clear();
        }
        AlterTableChange::RenameColumn { from, to } => {
            let (from, to) = (&from.value, &to.value);
            let Some(at) = table.columns.iter().position(|c| c.name == *from) else {
                return Err(refused(format!("The column `{from}` does not exist in the base table.")));
            };
            let keys = std::mem::take(&mut table.primary_key);
            check_unused(table, from, &BTreeSet::new())?;
            if table.column(to).is_some() {
                return Err(refused(format!("The column `{to}` already existed in table schema.")));
            }
            table.primary_key = keys.into_iter().map(|k| if k == *from { to.clone() } else { k }).collect();
            table.columns[at].name = to.clone();
        }
        AlterTableChange::Reset(keys) => {
            if keys.is_empty() {
                return Err(SqlError::validation("ALTER TABLE RESET does not support empty key"));
            }
            if let Some(k) = keys.iter().find(|k| k.as_str() == "connector") {
                return Err(SqlError::validation(format!("ALTER TABLE RESET does not support changing '{k}'")));
            }
            for k in keys {
                table.options.remove(k);
            }
        }
    }
    Ok(())
}

/// Types each computed column of `table` by planning its expression over the physical and
/// metadata columns (Flink's computed columns read only those); a bad one is refused with
/// Flink's words.
pub(super) fn type_computed_columns(table: &mut TableDef, functions: crate::functions::FunctionConfig) -> Result<()> {
    for i in 0..table.columns.len() {
        if !matches!(table.columns[i].source, ColumnSource::Computed(_)) {
            continue;
        }
        let mut alone = table.clone();
        alone.watermark = None;
        let name = alone.columns[i].name.clone();
        alone.columns = table
            .columns
            .iter()
            .enumerate()
            .filter(|(j, c)| *j == i || !matches!(c.source, ColumnSource::Computed(_)))
            .map(|(_, c)| c.clone())
            .collect();
        let plan = computed_columns_plan(&alone, functions)
            .map_err(|e| refused(format!("Invalid expression for computed column '{name}'. {}", e.message)))?;
        let field = plan.schema().field_with_unqualified_name(&name).map_err(crate::planner::plan_error)?;
        table.columns[i].ty = FlinkType::from_arrow(field.data_type(), field.is_nullable()).ok_or_else(|| {
            SqlError::unsupported(format!("Column '{name}' has a type Weir cannot hold: {}", field.data_type()))
        })?;
    }
    Ok(())
}

impl Session {
    /// The definition `table` has after `change`, checked as a created table is.
    pub(super) fn alter_table(&self, table: Arc<TableDef>, change: &AlterTableChange) -> Result<TableDef> {
        let mut table = table.as_ref().clone();
        apply(&mut table, change)?;
        type_computed_columns(&mut table, self.settings.function_config())?;
        if let Some((rowtime, _)) = &table.watermark {
            let column = table.column(rowtime).expect("a watermark's column is kept");
            if !matches!(column.ty.kind, TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_)) {
                return Err(refused(format!(
                    "Invalid data type of time field for watermark definition. The field must be of type \
                     TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the time field \
                     type is {}",
                    column.ty
                )));
            }
        }
        crate::connectors::validate_table(&table)?;
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::ast::Statement;

    /// `ALTER TABLE t …` applied to the table `ddl` creates (planned changes only: no types).
    fn altered(ddl: &str, alter: &str) -> Result<TableDef> {
        let catalog = crate::planner::test_support::catalog(ddl);
        let mut table = catalog.table("t").expect("created").as_ref().clone();
        let Statement::AlterTable { change, .. } = crate::parser::parse_statement(alter)?.node else {
            panic!("an ALTER TABLE schema change: {alter}")
        };
        apply(&mut table, &change)?;
        Ok(table)
    }

    const T: &str = "CREATE TABLE t (a INT, b STRING, c AS a + 1, ts TIMESTAMP(3), p STRING, \
                     WATERMARK FOR ts AS ts - INTERVAL '1' SECOND, PRIMARY KEY (b) NOT ENFORCED) \
                     PARTITIONED BY (p) WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'json')";

    fn names(t: &TableDef) -> Vec<&str> {
        t.columns.iter().map(|c| c.name.as_str()).collect()
    }

    fn refusal(alter: &str) -> String {
        let e = altered(T, alter).expect_err(alter);
        e.message.strip_prefix("Failed to execute ALTER TABLE statement.\n").unwrap_or(&e.message).to_string()
    }

    #[test]
    fn columns_are_added_where_asked() {
        let t = altered(T, "ALTER TABLE t ADD (e INT FIRST, f AS a * 2 AFTER b, g BIGINT)").unwrap();
        assert_eq!(names(&t), ["e", "a", "b", "f", "c", "ts", "p", "g"]);
        let t = altered(T, "ALTER TABLE t ADD (x INT, y INT AFTER x)").unwrap();
        assert_eq!(names(&t)[5..], ["x", "y"]);
        let t = altered(T, "ALTER TABLE t MODIFY (a BIGINT AFTER ts)").unwrap();
        assert_eq!(names(&t), ["b", "c", "ts", "a", "p"]);
        assert_eq!(t.column("a").unwrap().ty.kind, TypeKind::BigInt);
    }

    #[test]
    fn flinks_checks_refuse_bad_changes_with_its_words() {
        for (alter, message) in [
            ("ALTER TABLE t ADD a INT", "Column `a` already exists in the table."),
            ("ALTER TABLE t ADD (z INT, z INT)", "Encounter duplicate column `z`."),
            (
                "ALTER TABLE t ADD (h INT AFTER nope)",
                "Referenced column `nope` by 'AFTER' does not exist in the table.",
            ),
            (
                "ALTER TABLE t ADD PRIMARY KEY (a) NOT ENFORCED",
                "The current table has already defined the primary key constraint [`b`]. You might want to drop it \
                 before adding a new one.",
            ),
            ("ALTER TABLE t MODIFY (nope INT)", "Column `nope` does not exist in the table."),
            ("ALTER TABLE t DROP a", "The column `a` is referenced by computed column `c`."),
            ("ALTER TABLE t DROP ts", "The column `ts` is referenced by watermark expression."),
            ("ALTER TABLE t DROP b", "The column `b` is used as the primary key."),
            ("ALTER TABLE t DROP p", "The column `p` is used as the partition keys."),
            ("ALTER TABLE t DROP nope", "The column `nope` does not exist in the base table."),
            ("ALTER TABLE t DROP (c, c)", "Duplicate column `c`."),
            ("ALTER TABLE t RENAME a TO aa", "The column `a` is referenced by computed column `c`."),
            ("ALTER TABLE t RENAME nope TO zz", "The column `nope` does not exist in the base table."),
            ("ALTER TABLE t RENAME b TO a", "The column `a` already existed in table schema."),
            ("ALTER TABLE t RESET ('connector')", "ALTER TABLE RESET does not support changing 'connector'"),
            ("ALTER TABLE t RESET ()", "ALTER TABLE RESET does not support empty key"),
            (
                "ALTER TABLE t ADD PRIMARY KEY (a, q) NOT ENFORCED",
                "The current table has already defined the primary key constraint [`b`]. You might want to drop it \
                 before adding a new one.",
            ),
        ] {
            assert_eq!(refusal(alter), message, "{alter}");
        }
        let e = altered("CREATE TABLE t (a INT) WITH ('connector' = 'datagen')", "ALTER TABLE t DROP WATERMARK");
        assert_eq!(
            e.unwrap_err().message.lines().last(),
            Some("The current table does not define any watermark strategy.")
        );
        let e = altered("CREATE TABLE t (a INT) WITH ('connector' = 'datagen')", "ALTER TABLE t DROP PRIMARY KEY");
        assert_eq!(e.unwrap_err().message.lines().last(), Some("The current table does not define any primary key."));
        let e = altered(
            "CREATE TABLE t (a INT) WITH ('connector' = 'datagen')",
            "ALTER TABLE t ADD PRIMARY KEY (a, b) NOT ENFORCED",
        );
        assert_eq!(
            e.unwrap_err().message.lines().last(),
            Some("Invalid primary key 'PK_a_b'. Column 'b' does not exist.")
        );
    }

    #[test]
    fn drops_renames_and_resets_change_what_they_name() {
        let t = altered(T, "ALTER TABLE t DROP (a, c)").unwrap();
        assert_eq!(names(&t), ["b", "ts", "p"], "a computed column dropped with its input");
        let t = altered(T, "ALTER TABLE t DROP WATERMARK").unwrap();
        assert!(t.watermark.is_none());
        let t = altered(T, "ALTER TABLE t DROP PRIMARY KEY").unwrap();
        assert!(t.primary_key.is_empty());
        let t = altered(T, "ALTER TABLE t RENAME b TO bb").unwrap();
        assert_eq!((names(&t)[1], t.primary_key.as_slice()), ("bb", ["bb".to_string()].as_slice()));
        let t = altered(T, "ALTER TABLE t RESET ('format', 'nope')").unwrap();
        assert!(t.option("format").is_none() && t.option("path").is_some());
        let t = altered(T, "ALTER TABLE t MODIFY WATERMARK FOR ts AS ts").unwrap();
        assert_eq!(t.watermark.unwrap().1.to_string(), "ts");
    }
}
