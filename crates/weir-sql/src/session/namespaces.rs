//! The session's catalog and database statements (`CREATE|DROP|USE CATALOG`,
//! `CREATE|DROP|ALTER DATABASE`, `USE`) and what `SHOW` prints, as Flink's SQL client
//! prints it: a bordered table with Flink's column header, `SHOW CREATE TABLE|VIEW` as Flink
//! writes the DDL.

use super::{table_text, Session};
use crate::catalog::{ColumnSource, ObjectPath, TableDef, ViewDef};
use crate::error::{Result, SqlError};
use crate::parser::ast::{LikePattern, ShowWhat, Statement};

impl Session {
    /// Runs a catalog or database statement.
    pub(super) fn execute_namespace(&mut self, statement: &Statement) -> Result<()> {
        let catalog = &mut self.catalog;
        match statement {
            Statement::CreateCatalog { name, options, if_not_exists } => {
                catalog.create_catalog(&name.value, options, *if_not_exists)
            }
            Statement::DropCatalog { name, if_exists } => catalog.drop_catalog(&name.value, *if_exists),
            Statement::UseCatalog(name) => catalog.use_catalog(&name.value),
            Statement::CreateDatabase { name, comment, properties, if_not_exists } => {
                let (cat, db) = catalog.database_path(name)?;
                catalog.create_database(
                    &cat,
                    &db,
                    comment.clone(),
                    properties.iter().cloned().collect(),
                    *if_not_exists,
                )
            }
            Statement::DropDatabase { name, if_exists, cascade } => {
                let (cat, db) = catalog.database_path(name)?;
                catalog.drop_database(&cat, &db, *if_exists, *cascade)
            }
            Statement::AlterDatabase { name, properties } => {
                let (cat, db) = catalog.database_path(name)?;
                catalog.alter_database(&cat, &db, properties)
            }
            Statement::UseDatabase(name) => {
                let (cat, db) = catalog.database_path(name)?;
                catalog.use_database(&cat, &db)
            }
            _ => Err(SqlError::validation("not a catalog or database statement")),
        }
    }

    /// What `SHOW …` prints.
    pub(super) fn show(&self, what: &ShowWhat) -> Result<String> {
        let catalog = &self.catalog;
        let (header, names) = match what {
            ShowWhat::Catalogs(like) => ("catalog name", kept(catalog.catalog_names(), like)),
            ShowWhat::CurrentCatalog => ("current catalog name", vec![catalog.current_catalog().to_string()]),
            ShowWhat::Databases { from, like } => {
                let cat = from.as_ref().map_or(catalog.current_catalog(), |c| c.value.as_str());
                ("database name", kept(catalog.database_names(cat)?, like))
            }
            ShowWhat::CurrentDatabase => ("current database name", vec![catalog.current_database().to_string()]),
            ShowWhat::Tables { from, like } | ShowWhat::Views { from, like } => {
                let (cat, db) = match from {
                    Some(name) => catalog.database_path(name)?,
                    None => (catalog.current_catalog().to_string(), catalog.current_database().to_string()),
                };
                let views = matches!(what, ShowWhat::Views { .. });
                let names = kept(catalog.relation_names_in(&cat, &db, views)?, like);
                (if views { "view name" } else { "table name" }, names)
            }
            ShowWhat::Functions { user_only } => ("function name", {
                let mut n = catalog.function_names();
                if !user_only {
                    n.extend(crate::functions::flink_function_names().into_iter().map(str::to_string));
                    n.sort();
                    n.dedup();
                }
                n
            }),
            ShowWhat::Columns { table, like } => {
                let path = catalog.path(table)?;
                let (header, mut rows) = self.describe_rows(&path)?;
                rows.retain(|r| like.as_ref().is_none_or(|l| l.keeps(&r[0])));
                return Ok(table_text(header, &rows));
            }
            ShowWhat::CreateTable(name) => {
                let path = catalog.path(name)?;
                if catalog.view_at(&path).is_some() {
                    return Err(SqlError::validation(format!(
                        "SHOW CREATE TABLE is only supported for tables, but {} is a view. Please use SHOW CREATE \
                         VIEW instead.",
                        path.quoted()
                    )));
                }
                let table = catalog.table_at(&path).ok_or_else(|| {
                    SqlError::validation(format!(
                        "Could not execute SHOW CREATE TABLE. Table with identifier {} does not exist.",
                        path.quoted()
                    ))
                })?;
                return Ok(show_create_table(&path, table));
            }
            ShowWhat::CreateView(name) => {
                let path = catalog.path(name)?;
                if catalog.table_at(&path).is_some() {
                    return Err(SqlError::validation(format!(
                        "SHOW CREATE VIEW is only supported for views, but {} is a table. Please use SHOW CREATE \
                         TABLE instead.",
                        path.quoted()
                    )));
                }
                let view = catalog.view_at(&path).ok_or_else(|| {
                    SqlError::validation(format!(
                        "Could not execute SHOW CREATE VIEW. View with identifier {} does not exist.",
                        path.quoted()
                    ))
                })?;
                return Ok(show_create_view(&path, view));
            }
        };
        Ok(table_text(&[header], &names.into_iter().map(|n| vec![n]).collect::<Vec<_>>()))
    }
}

/// The names `like` keeps (all without one).
fn kept(names: Vec<String>, like: &Option<LikePattern>) -> Vec<String> {
    match like {
        Some(like) => names.into_iter().filter(|n| like.keeps(n)).collect(),
        None => names,
    }
}

/// `` `name` `` with inner back quotes doubled.
fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A type as Flink's `SHOW CREATE` writes it (its serializable form): `STRING` and `BYTES`
/// spelled out as the longest `VARCHAR` and `VARBINARY`.
fn serializable_type(summary: &str) -> String {
    let mut out = String::with_capacity(summary.len());
    let mut quoted = false;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(match word.as_str() {
            "STRING" => "VARCHAR(2147483647)",
            "BYTES" => "VARBINARY(2147483647)",
            w => w,
        });
        word.clear();
    };
    for c in summary.chars() {
        if c == '`' {
            quoted = !quoted;
        }
        if !quoted && c.is_ascii_alphabetic() {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        out.push(c);
    }
    flush(&mut word, &mut out);
    out
}

/// `SHOW CREATE TABLE`, laid out as Flink 2.3 prints it. Expressions (computed columns,
/// the watermark) are written as the script wrote them, where Flink writes Calcite's
/// rendering (back-quoted names).
pub(super) fn show_create_table(path: &ObjectPath, t: &TableDef) -> String {
    let mut lines: Vec<String> = t
        .columns
        .iter()
        .map(|c| match &c.source {
            ColumnSource::Physical => format!("  {} {}", quote(&c.name), serializable_type(&c.ty.to_string())),
            ColumnSource::Computed(e) => format!("  {} AS {e}", quote(&c.name)),
            ColumnSource::Metadata { key, is_virtual } => format!(
                "  {} {} METADATA{}{}",
                quote(&c.name),
                serializable_type(&c.ty.to_string()),
                if *key == c.name { String::new() } else { format!(" FROM '{key}'") },
                if *is_virtual { " VIRTUAL" } else { "" }
            ),
        })
        .collect();
    if let Some((col, e)) = &t.watermark {
        lines.push(format!("  WATERMARK FOR {} AS {e}", quote(col)));
    }
    if !t.primary_key.is_empty() {
        lines.push(format!(
            "  CONSTRAINT {} PRIMARY KEY ({}) NOT ENFORCED",
            quote(&format!("PK_{}", t.primary_key.join("_"))),
            t.primary_key.iter().map(|k| quote(k)).collect::<Vec<_>>().join(", ")
        ));
    }
    let mut text = format!("CREATE TABLE {} (\n{}\n)\n", path.quoted(), lines.join(",\n"));
    if let Some(comment) = &t.comment {
        text.push_str(&format!("COMMENT '{}'\n", comment.replace('\'', "''")));
    }
    if !t.partitioned_by.is_empty() {
        let keys: Vec<String> = t.partitioned_by.iter().map(|k| quote(k)).collect();
        text.push_str(&format!("PARTITIONED BY ({})\n", keys.join(", ")));
    }
    let options: Vec<String> =
        t.options.iter().map(|(k, v)| format!("  '{k}' = '{}'", v.replace('\'', "''"))).collect();
    text.push_str(&format!("WITH (\n{}\n)\n", options.join(",\n")));
    text
}

/// `SHOW CREATE VIEW`, laid out as Flink 2.3 prints it: the view's columns, then its query
/// as the script wrote it (Flink prints Calcite's expanded rendering).
pub(super) fn show_create_view(path: &ObjectPath, v: &ViewDef) -> String {
    let columns: Vec<String> = v.plan.schema().fields().iter().map(|f| format!("  {}", quote(f.name()))).collect();
    format!("CREATE VIEW {} (\n{}\n)\nAS {}\n", path.quoted(), columns.join(",\n"), v.query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_create_spells_out_flinks_serializable_types() {
        assert_eq!(serializable_type("STRING"), "VARCHAR(2147483647)");
        assert_eq!(serializable_type("ARRAY<BYTES NOT NULL>"), "ARRAY<VARBINARY(2147483647) NOT NULL>");
        assert_eq!(serializable_type("ROW<`STRING` STRING>"), "ROW<`STRING` VARCHAR(2147483647)>");
        assert_eq!(serializable_type("DECIMAL(10, 2)"), "DECIMAL(10, 2)");
    }

    #[test]
    fn like_patterns_match_whole_names() {
        let like = |p: &str, negated| LikePattern { pattern: p.into(), negated };
        let names = || vec!["orders".to_string(), "order_items".into(), "users".into(), "o".into()];
        assert_eq!(kept(names(), &Some(like("order%", false))), ["orders", "order_items"]);
        assert_eq!(kept(names(), &Some(like("_", false))), ["o"]);
        assert_eq!(kept(names(), &Some(like("%rs", true))), ["order_items", "o"]);
        assert_eq!(kept(names(), &Some(like("order\\_items", false))), ["order_items"]);
        assert_eq!(kept(names(), &Some(like("ORDERS", false))), Vec::<String>::new(), "case counts");
        assert_eq!(kept(names(), &None).len(), 4);
    }
}
