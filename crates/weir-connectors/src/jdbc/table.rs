//! [`JdbcTable`]: a PostgreSQL table as the connector sees it — its name, the columns it
//! reads or writes with their types, and its primary key — and the statements made from it.

use super::connection::{quote_identifier, quote_name};
use super::value::JdbcType;

/// A table: name, columns and (for upserts and lookups) key.
///
/// ```
/// use weir_connectors::jdbc::{JdbcTable, JdbcType};
/// let table = JdbcTable::new("counts", [("k", JdbcType::BigInt), ("c", JdbcType::BigInt)]).with_primary_key(["k"]).unwrap();
/// assert_eq!(
///     table.upsert_sql(1),
///     "INSERT INTO \"counts\" (\"k\", \"c\") VALUES ($1, $2) ON CONFLICT (\"k\") DO UPDATE SET \"c\" = EXCLUDED.\"c\""
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct JdbcTable {
    name: String,
    columns: Vec<(String, JdbcType)>,
    /// Indexes of the primary-key columns; empty for append-only tables.
    key: Vec<usize>,
}

impl JdbcTable {
    /// A table `name` (`schema.table` allowed) with `columns` in order.
    pub fn new<S: Into<String>>(name: impl Into<String>, columns: impl IntoIterator<Item = (S, JdbcType)>) -> Self {
        JdbcTable {
            name: name.into(),
            columns: columns.into_iter().map(|(n, t)| (n.into(), t)).collect(),
            key: Vec::new(),
        }
    }

    /// The same table with primary key `columns` (upsert mode for a sink).
    ///
    /// # Errors
    /// A key column that is not a column of the table.
    pub fn with_primary_key<S: AsRef<str>>(
        mut self,
        columns: impl IntoIterator<Item = S>,
    ) -> Result<Self, crate::ConnectorError> {
        self.key = columns
            .into_iter()
            .map(|k| {
                self.column_index(k.as_ref()).ok_or_else(|| {
                    crate::ConnectorError::Config(format!(
                        "primary key column '{}' is not a column of table '{}'",
                        k.as_ref(),
                        self.name
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[(String, JdbcType)] {
        &self.columns
    }

    /// Indexes of the primary-key columns (empty: no key).
    pub fn key(&self) -> &[usize] {
        &self.key
    }

    /// The index of column `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|(n, _)| n == name)
    }

    fn column_list(&self) -> String {
        self.columns.iter().map(|(n, _)| quote_identifier(n)).collect::<Vec<_>>().join(", ")
    }

    /// `VALUES` rows of placeholders for `rows` rows of `width` values typed by `types`.
    fn values(rows: usize, types: &[JdbcType]) -> String {
        let width = types.len();
        (0..rows)
            .map(|r| {
                let row: Vec<String> =
                    types.iter().enumerate().map(|(i, t)| t.placeholder(r * width + i + 1)).collect();
                format!("({})", row.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn types(&self) -> Vec<JdbcType> {
        self.columns.iter().map(|(_, t)| *t).collect()
    }

    /// `INSERT` of `rows` rows.
    pub fn insert_sql(&self, rows: usize) -> String {
        format!(
            "INSERT INTO {} ({}) VALUES {}",
            quote_name(&self.name),
            self.column_list(),
            Self::values(rows, &self.types())
        )
    }

    /// `INSERT … ON CONFLICT (key) DO UPDATE` of `rows` rows (no two with one key).
    pub fn upsert_sql(&self, rows: usize) -> String {
        let key: Vec<String> = self.key.iter().map(|&i| quote_identifier(&self.columns[i].0)).collect();
        let rest: Vec<String> = (0..self.columns.len())
            .filter(|i| !self.key.contains(i))
            .map(|i| {
                let c = quote_identifier(&self.columns[i].0);
                format!("{c} = EXCLUDED.{c}")
            })
            .collect();
        let action = if rest.is_empty() { "NOTHING".to_string() } else { format!("UPDATE SET {}", rest.join(", ")) };
        format!("{} ON CONFLICT ({}) DO {action}", self.insert_sql(rows), key.join(", "))
    }

    /// `DELETE` of the rows whose keys are given, `rows` keys of the key columns.
    pub fn delete_sql(&self, rows: usize) -> String {
        format!("DELETE FROM {} WHERE {}", quote_name(&self.name), self.key_in(rows))
    }

    /// `(k1, k2) IN (($1, $2), …)` over `rows` keys.
    fn key_in(&self, rows: usize) -> String {
        let key: Vec<String> = self.key.iter().map(|&i| quote_identifier(&self.columns[i].0)).collect();
        let types: Vec<JdbcType> = self.key.iter().map(|&i| self.columns[i].1).collect();
        format!("({}) IN ({})", key.join(", "), Self::values(rows, &types))
    }

    /// The `SELECT` list reading every column as its type.
    pub fn select_list(&self) -> String {
        self.columns.iter().map(|(n, t)| t.select_expr(&quote_identifier(n))).collect::<Vec<_>>().join(", ")
    }

    /// `SELECT` of the rows whose key columns (`lookup` columns, by index) take one of
    /// `rows` given values.
    pub fn lookup_sql(&self, lookup: &[usize], rows: usize) -> String {
        let names: Vec<String> = lookup.iter().map(|&i| quote_identifier(&self.columns[i].0)).collect();
        let types: Vec<JdbcType> = lookup.iter().map(|&i| self.columns[i].1).collect();
        format!(
            "SELECT {} FROM {} WHERE ({}) IN ({})",
            self.select_list(),
            quote_name(&self.name),
            names.join(", "),
            Self::values(rows, &types)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> JdbcTable {
        JdbcTable::new("s.t", [("a", JdbcType::Int), ("b", JdbcType::Decimal(10, 2)), ("c", JdbcType::Varchar)])
    }

    #[test]
    fn statements() {
        let keyed = table().with_primary_key(["a", "c"]).unwrap();
        let cases = [
            (table().insert_sql(2), "INSERT INTO \"s\".\"t\" (\"a\", \"b\", \"c\") VALUES ($1, $2::text::numeric, $3), ($4, $5::text::numeric, $6)"),
            (
                keyed.upsert_sql(1),
                "INSERT INTO \"s\".\"t\" (\"a\", \"b\", \"c\") VALUES ($1, $2::text::numeric, $3) ON CONFLICT (\"a\", \"c\") DO UPDATE SET \"b\" = EXCLUDED.\"b\"",
            ),
            (keyed.delete_sql(2), "DELETE FROM \"s\".\"t\" WHERE (\"a\", \"c\") IN (($1, $2), ($3, $4))"),
            (
                table().lookup_sql(&[0], 2),
                "SELECT \"a\"::int4, \"b\"::text, \"c\"::text FROM \"s\".\"t\" WHERE (\"a\") IN (($1), ($2))",
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
        }
        let key_only = JdbcTable::new("t", [("k", JdbcType::BigInt)]).with_primary_key(["k"]).unwrap();
        assert!(key_only.upsert_sql(1).ends_with("DO NOTHING"));
        let e = table().with_primary_key(["zz"]).unwrap_err().to_string();
        assert!(e.contains("'zz'") && e.contains("'s.t'"), "{e}");
    }
}
