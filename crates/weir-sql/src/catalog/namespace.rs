//! Flink's namespaces: catalogs hold databases, databases hold tables and views. A session
//! starts in `default_catalog`.`default_database`; `CREATE CATALOG … WITH ('type' =
//! 'generic_in_memory')` adds an in-memory catalog (Flink's `GenericInMemoryCatalog`, whose
//! one database is `default` unless `'default-database'` names another), `USE` moves the
//! current catalog and database that unqualified names resolve in.
//!
//! Errors carry Flink's words (its catalog exceptions'), so a script's failure reads the same.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use sqlparser::ast::ObjectName;

use super::{name_parts, Catalog, TableDef, ViewDef};
use crate::error::{Result, SqlError};

/// The only catalog type Weir has: Flink's in-memory catalog.
pub const IN_MEMORY_TYPE: &str = "generic_in_memory";

/// The database a new in-memory catalog holds unless `'default-database'` names another
/// (Flink's `GenericInMemoryCatalog.DEFAULT_DB`).
pub const IN_MEMORY_DEFAULT_DATABASE: &str = "default";

/// The options Flink's `generic_in_memory` catalog factory takes.
const IN_MEMORY_OPTIONS: [&str; 3] = ["default-database", "property-version", "type"];

/// Where an object lives: catalog, database and its own name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectPath {
    /// The catalog.
    pub catalog: String,
    /// The database within it.
    pub database: String,
    /// The table's or view's name.
    pub name: String,
}

impl ObjectPath {
    /// The path as Flink's `ObjectIdentifier.asSerializableString` writes it:
    /// `` `cat`.`db`.`name` ``.
    pub fn quoted(&self) -> String {
        [&self.catalog, &self.database, &self.name].map(|p| format!("`{}`", p.replace('`', "``"))).join(".")
    }
}

impl fmt::Display for ObjectPath {
    /// `cat.db.name`, as Flink's `ObjectIdentifier.asSummaryString`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.catalog, self.database, self.name)
    }
}

/// The tables and views of one database, with its comment and properties.
#[derive(Debug, Clone, Default)]
pub struct Database {
    pub(super) tables: BTreeMap<String, Arc<TableDef>>,
    pub(super) views: BTreeMap<String, Arc<ViewDef>>,
    /// `COMMENT '…'` of `CREATE DATABASE`.
    pub comment: Option<String>,
    /// `WITH (…)` of `CREATE DATABASE`, changed by `ALTER DATABASE … SET`.
    pub properties: BTreeMap<String, String>,
}

impl Database {
    /// Whether it holds no table or view.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.views.is_empty()
    }
}

/// A catalog of Flink's `generic_in_memory` type: databases by name.
#[derive(Debug, Clone)]
pub struct InMemoryCatalog {
    databases: BTreeMap<String, Database>,
    /// The database `USE CATALOG` makes current.
    default_database: String,
}

impl InMemoryCatalog {
    /// A catalog holding the empty database `default_database`.
    pub fn new(default_database: &str) -> Self {
        let mut databases = BTreeMap::new();
        databases.insert(default_database.to_string(), Database::default());
        InMemoryCatalog { databases, default_database: default_database.to_string() }
    }
}

fn catalog_missing(catalog: &str) -> SqlError {
    SqlError::validation(format!("Catalog {catalog} does not exist."))
}

fn database_missing(catalog: &str, database: &str) -> SqlError {
    SqlError::validation(format!("Database {database} does not exist in Catalog {catalog}."))
}

impl Catalog {
    /// The current catalog's name.
    pub fn current_catalog(&self) -> &str {
        &self.current_catalog
    }

    /// The current database's name.
    pub fn current_database(&self) -> &str {
        &self.current_database
    }

    /// `name` in the current catalog and database.
    pub fn path_in_current(&self, name: &str) -> ObjectPath {
        ObjectPath {
            catalog: self.current_catalog.clone(),
            database: self.current_database.clone(),
            name: name.to_string(),
        }
    }

    /// Where the object written `name` (`t`, `db.t` or `cat.db.t`) lives; whether its catalog
    /// and database exist is not checked.
    pub fn path(&self, name: &ObjectName) -> Result<ObjectPath> {
        self.path_of_parts(&name_parts(name)).ok_or_else(|| {
            SqlError::validation(format!("Object name '{name}' has too many parts: write [catalog.][database.]object"))
        })
    }

    /// [`Self::path`] of the parts of a name; `None` for more than three.
    pub fn path_of_parts(&self, parts: &[String]) -> Option<ObjectPath> {
        let (catalog, database, name) = match parts {
            [name] => (self.current_catalog.clone(), self.current_database.clone(), name.clone()),
            [database, name] => (self.current_catalog.clone(), database.clone(), name.clone()),
            [catalog, database, name] => (catalog.clone(), database.clone(), name.clone()),
            _ => return None,
        };
        Some(ObjectPath { catalog, database, name })
    }

    /// The catalog and database of a database name written `db` or `cat.db`.
    pub fn database_path(&self, name: &ObjectName) -> Result<(String, String)> {
        match name_parts(name).as_slice() {
            [database] => Ok((self.current_catalog.clone(), database.clone())),
            [catalog, database] => Ok((catalog.clone(), database.clone())),
            _ => Err(SqlError::validation(format!(
                "Database name '{name}' has too many parts: write [catalog.]database"
            ))),
        }
    }

    pub(super) fn current(&self) -> Option<&Database> {
        self.database(&self.current_catalog, &self.current_database)
    }

    /// The database `database` of `catalog`, if both exist.
    pub fn database(&self, catalog: &str, database: &str) -> Option<&Database> {
        self.catalogs.get(catalog)?.databases.get(database)
    }

    /// The database, or Flink's error for a missing catalog or database.
    pub fn existing_database(&self, catalog: &str, database: &str) -> Result<&Database> {
        let c = self.catalogs.get(catalog).ok_or_else(|| catalog_missing(catalog))?;
        c.databases.get(database).ok_or_else(|| database_missing(catalog, database))
    }

    fn existing_database_mut(&mut self, catalog: &str, database: &str) -> Result<&mut Database> {
        let c = self.catalogs.get_mut(catalog).ok_or_else(|| catalog_missing(catalog))?;
        c.databases.get_mut(database).ok_or_else(|| database_missing(catalog, database))
    }

    /// The table at `path`.
    pub fn table_at(&self, path: &ObjectPath) -> Option<&Arc<TableDef>> {
        self.database(&path.catalog, &path.database)?.tables.get(&path.name)
    }

    /// The view at `path`.
    pub fn view_at(&self, path: &ObjectPath) -> Option<&Arc<ViewDef>> {
        self.database(&path.catalog, &path.database)?.views.get(&path.name)
    }

    fn check_free(&self, path: &ObjectPath, if_not_exists: bool) -> Result<bool> {
        let db = self.existing_database(&path.catalog, &path.database)?;
        if db.tables.contains_key(&path.name) || db.views.contains_key(&path.name) {
            if if_not_exists {
                return Ok(false);
            }
            return Err(SqlError::validation(format!(
                "Table (or view) {}.{} already exists in Catalog {}.",
                path.database, path.name, path.catalog
            )));
        }
        Ok(true)
    }

    /// Adds `table` at `path` (its database must exist); an existing table or view there is
    /// an error unless `if_not_exists`.
    pub fn create_table_at(&mut self, path: &ObjectPath, mut table: TableDef, if_not_exists: bool) -> Result<()> {
        if self.check_free(path, if_not_exists)? {
            table.name = path.name.clone();
            let db = self.existing_database_mut(&path.catalog, &path.database)?;
            db.tables.insert(path.name.clone(), Arc::new(table));
        }
        Ok(())
    }

    /// Adds `view` at `path` (its database must exist).
    pub fn create_view_at(&mut self, path: &ObjectPath, mut view: ViewDef, if_not_exists: bool) -> Result<()> {
        if self.check_free(path, if_not_exists)? {
            view.name = path.name.clone();
            let db = self.existing_database_mut(&path.catalog, &path.database)?;
            db.views.insert(path.name.clone(), Arc::new(view));
        }
        Ok(())
    }

    /// Replaces the table at `path` (`ALTER TABLE`); nothing when its database is gone.
    pub fn replace_table_at(&mut self, path: &ObjectPath, table: TableDef) {
        if let Ok(db) = self.existing_database_mut(&path.catalog, &path.database) {
            db.tables.insert(path.name.clone(), Arc::new(table));
        }
    }

    /// Removes the table at `path`; whether it existed.
    pub fn drop_table_at(&mut self, path: &ObjectPath) -> bool {
        self.existing_database_mut(&path.catalog, &path.database).is_ok_and(|db| db.tables.remove(&path.name).is_some())
    }

    /// Removes the view at `path`; whether it existed.
    pub fn drop_view_at(&mut self, path: &ObjectPath) -> bool {
        self.existing_database_mut(&path.catalog, &path.database).is_ok_and(|db| db.views.remove(&path.name).is_some())
    }

    /// `CREATE CATALOG name WITH (options)`: only Flink's `generic_in_memory` type.
    pub fn create_catalog(&mut self, name: &str, options: &[(String, String)], if_not_exists: bool) -> Result<()> {
        if self.catalogs.contains_key(name) {
            if if_not_exists {
                return Ok(());
            }
            return Err(SqlError::validation(format!("Catalog {name} already exists.")));
        }
        let option = |key: &str| options.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let Some(kind) = option("type") else {
            return Err(SqlError::validation(format!(
                "Unable to create catalog '{name}'. Catalog options do not contain an option key 'type' for \
                 discovering a catalog."
            )));
        };
        if kind != IN_MEMORY_TYPE {
            return Err(SqlError::unsupported(format!(
                "Unable to create catalog '{name}'. Catalog type '{kind}' is not supported by Weir; the supported \
                 type is '{IN_MEMORY_TYPE}' (Flink's in-memory catalog)"
            )));
        }
        let unknown: Vec<&str> =
            options.iter().map(|(k, _)| k.as_str()).filter(|k| !IN_MEMORY_OPTIONS.contains(k)).collect();
        if !unknown.is_empty() {
            return Err(SqlError::validation(format!(
                "Unable to create catalog '{name}'. Unsupported options found for '{IN_MEMORY_TYPE}': {}. \
                 Supported options: {}",
                unknown.join(", "),
                IN_MEMORY_OPTIONS.join(", ")
            )));
        }
        let database = option("default-database").unwrap_or(IN_MEMORY_DEFAULT_DATABASE);
        self.catalogs.insert(name.to_string(), InMemoryCatalog::new(database));
        Ok(())
    }

    /// `DROP CATALOG name`: never the current one.
    pub fn drop_catalog(&mut self, name: &str, if_exists: bool) -> Result<()> {
        if !self.catalogs.contains_key(name) {
            if if_exists {
                return Ok(());
            }
            return Err(catalog_missing(name));
        }
        if name == self.current_catalog {
            return Err(SqlError::validation("Cannot drop a catalog which is currently in use."));
        }
        self.catalogs.remove(name);
        Ok(())
    }

    /// `USE CATALOG name`: its default database becomes current too.
    pub fn use_catalog(&mut self, name: &str) -> Result<()> {
        let catalog = self
            .catalogs
            .get(name)
            .ok_or_else(|| SqlError::validation(format!("A catalog with name [{name}] does not exist.")))?;
        self.current_database = catalog.default_database.clone();
        self.current_catalog = name.to_string();
        Ok(())
    }

    /// `USE [catalog.]database`.
    pub fn use_database(&mut self, catalog: &str, database: &str) -> Result<()> {
        let c = self
            .catalogs
            .get(catalog)
            .ok_or_else(|| SqlError::validation(format!("A catalog with name [{catalog}] does not exist.")))?;
        if !c.databases.contains_key(database) {
            return Err(SqlError::validation(format!(
                "A database with name [{database}] does not exist in the catalog: [{catalog}]."
            )));
        }
        self.current_catalog = catalog.to_string();
        self.current_database = database.to_string();
        Ok(())
    }

    /// Catalog names, sorted.
    pub fn catalog_names(&self) -> Vec<String> {
        self.catalogs.keys().cloned().collect()
    }

    /// Database names of `catalog`, sorted.
    pub fn database_names(&self, catalog: &str) -> Result<Vec<String>> {
        let c = self.catalogs.get(catalog).ok_or_else(|| catalog_missing(catalog))?;
        Ok(c.databases.keys().cloned().collect())
    }

    /// `CREATE DATABASE`.
    pub fn create_database(
        &mut self,
        catalog: &str,
        name: &str,
        comment: Option<String>,
        properties: BTreeMap<String, String>,
        if_not_exists: bool,
    ) -> Result<()> {
        let c = self.catalogs.get_mut(catalog).ok_or_else(|| catalog_missing(catalog))?;
        if c.databases.contains_key(name) {
            if if_not_exists {
                return Ok(());
            }
            return Err(SqlError::validation(format!("Database {name} already exists in Catalog {catalog}.")));
        }
        c.databases.insert(name.to_string(), Database { comment, properties, ..Database::default() });
        Ok(())
    }

    /// `DROP DATABASE`: `RESTRICT` (the default) refuses a database holding tables or views;
    /// the current database is never dropped.
    pub fn drop_database(&mut self, catalog: &str, name: &str, if_exists: bool, cascade: bool) -> Result<()> {
        let c = self.catalogs.get_mut(catalog).ok_or_else(|| catalog_missing(catalog))?;
        let Some(db) = c.databases.get(name) else {
            if if_exists {
                return Ok(());
            }
            return Err(database_missing(catalog, name));
        };
        if catalog == self.current_catalog && name == self.current_database {
            return Err(SqlError::validation("Cannot drop a database which is currently in use."));
        }
        if !cascade && !db.is_empty() {
            return Err(SqlError::validation(format!("Database {name} in catalog {catalog} is not empty.")));
        }
        c.databases.remove(name);
        Ok(())
    }

    /// `ALTER DATABASE … SET (…)`: the properties added or replaced.
    pub fn alter_database(&mut self, catalog: &str, name: &str, properties: &[(String, String)]) -> Result<()> {
        let db = self.existing_database_mut(catalog, name)?;
        for (k, v) in properties {
            db.properties.insert(k.clone(), v.clone());
        }
        Ok(())
    }

    /// The table names (`views`: false, views included as Flink's `SHOW TABLES` lists them)
    /// or view names of a database, sorted; Flink's error when it does not exist.
    pub fn relation_names_in(&self, catalog: &str, database: &str, views: bool) -> Result<Vec<String>> {
        let db = self
            .database(catalog, database)
            .ok_or_else(|| SqlError::validation(format!("Database '{catalog}'.'{database}' doesn't exist.")))?;
        let mut names: Vec<String> = db.views.keys().cloned().collect();
        if !views {
            names.extend(db.tables.keys().cloned());
            names.sort();
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> TableDef {
        TableDef {
            name: name.into(),
            columns: vec![],
            watermark: None,
            primary_key: vec![],
            partitioned_by: vec![],
            options: BTreeMap::new(),
            comment: None,
            read_columns: None,
        }
    }

    fn in_memory() -> Vec<(String, String)> {
        vec![("type".into(), IN_MEMORY_TYPE.into())]
    }

    #[test]
    fn a_session_starts_in_the_default_catalog_and_database() {
        let c = Catalog::default();
        assert_eq!(
            (c.current_catalog(), c.current_database()),
            (super::super::DEFAULT_CATALOG, super::super::DEFAULT_DATABASE)
        );
        assert_eq!(c.catalog_names(), ["default_catalog"]);
        assert_eq!(c.database_names("default_catalog").unwrap(), ["default_database"]);
    }

    #[test]
    fn names_resolve_in_the_current_namespace() {
        let mut c = Catalog::default();
        let parts = |s: &str| s.split('.').map(String::from).collect::<Vec<_>>();
        let path = |c: &Catalog, s: &str| c.path_of_parts(&parts(s)).unwrap().to_string();
        assert_eq!(path(&c, "t"), "default_catalog.default_database.t");
        assert_eq!(path(&c, "db.t"), "default_catalog.db.t");
        assert_eq!(path(&c, "c.db.t"), "c.db.t");
        assert!(c.path_of_parts(&parts("a.b.c.d")).is_none());
        c.create_catalog("c1", &in_memory(), false).unwrap();
        c.use_catalog("c1").unwrap();
        assert_eq!(path(&c, "t"), "c1.default.t");
        assert_eq!(c.path_in_current("t").quoted(), "`c1`.`default`.`t`");
    }

    #[test]
    fn catalogs_are_created_used_and_dropped_as_in_flink() {
        let mut c = Catalog::default();
        c.create_catalog("c1", &in_memory(), false).unwrap();
        assert_eq!(c.create_catalog("c1", &in_memory(), false).unwrap_err().message, "Catalog c1 already exists.");
        c.create_catalog("c1", &in_memory(), true).unwrap();
        let e = c.create_catalog("h", &[("type".into(), "hive".into())], false).unwrap_err();
        assert!(e.message.contains("'hive'") && e.message.contains("'generic_in_memory'"), "{}", e.message);
        let e = c.create_catalog("n", &[], false).unwrap_err();
        assert!(e.message.contains("do not contain an option key 'type'"), "{}", e.message);
        let e = c.create_catalog("x", &[in_memory()[0].clone(), ("k".into(), "v".into())], false).unwrap_err();
        assert!(e.message.contains("Unsupported options found for 'generic_in_memory': k."), "{}", e.message);
        let named = [in_memory()[0].clone(), ("default-database".into(), "mydb".into())];
        c.create_catalog("c2", &named, false).unwrap();
        assert_eq!(c.database_names("c2").unwrap(), ["mydb"]);
        assert_eq!(c.catalog_names(), ["c1", "c2", "default_catalog"]);

        assert_eq!(c.use_catalog("nope").unwrap_err().message, "A catalog with name [nope] does not exist.");
        c.use_catalog("c1").unwrap();
        assert_eq!(c.current_database(), "default");
        assert_eq!(
            c.drop_catalog("c1", false).unwrap_err().message,
            "Cannot drop a catalog which is currently in use."
        );
        assert_eq!(c.drop_catalog("nope", false).unwrap_err().message, "Catalog nope does not exist.");
        c.drop_catalog("nope", true).unwrap();
        c.drop_catalog("c2", false).unwrap();
        assert_eq!(c.catalog_names(), ["c1", "default_catalog"]);
    }

    #[test]
    fn databases_are_created_used_altered_and_dropped_as_in_flink() {
        let mut c = Catalog::default();
        let cat = "default_catalog";
        c.create_database(cat, "db1", Some("first".into()), BTreeMap::new(), false).unwrap();
        let e = c.create_database(cat, "db1", None, BTreeMap::new(), false).unwrap_err();
        assert_eq!(e.message, "Database db1 already exists in Catalog default_catalog.");
        c.create_database(cat, "db1", None, BTreeMap::new(), true).unwrap();
        let e = c.create_database("nope", "db", None, BTreeMap::new(), false).unwrap_err();
        assert_eq!(e.message, "Catalog nope does not exist.");

        let e = c.use_database(cat, "nope").unwrap_err();
        assert_eq!(e.message, "A database with name [nope] does not exist in the catalog: [default_catalog].");
        c.alter_database(cat, "db1", &[("k".into(), "v".into())]).unwrap();
        assert_eq!(c.database(cat, "db1").unwrap().properties["k"], "v");
        assert_eq!(c.database(cat, "db1").unwrap().comment.as_deref(), Some("first"));
        let e = c.alter_database(cat, "nope", &[]).unwrap_err();
        assert_eq!(e.message, "Database nope does not exist in Catalog default_catalog.");

        let path = ObjectPath { catalog: cat.into(), database: "db1".into(), name: "t".into() };
        c.create_table_at(&path, table("t"), false).unwrap();
        let e = c.create_table_at(&path, table("t"), false).unwrap_err();
        assert_eq!(e.message, "Table (or view) db1.t already exists in Catalog default_catalog.");
        let elsewhere = ObjectPath { database: "nope".into(), ..path.clone() };
        let e = c.create_table_at(&elsewhere, table("t"), false).unwrap_err();
        assert_eq!(e.message, "Database nope does not exist in Catalog default_catalog.");
        assert!(c.table_at(&path).is_some() && c.table("t").is_none(), "not in the current database");
        assert_eq!(c.relation_names_in(cat, "db1", false).unwrap(), ["t"]);
        let e = c.relation_names_in(cat, "nope", false).unwrap_err();
        assert_eq!(e.message, "Database 'default_catalog'.'nope' doesn't exist.");

        let e = c.drop_database(cat, "db1", false, false).unwrap_err();
        assert_eq!(e.message, "Database db1 in catalog default_catalog is not empty.");
        c.use_database(cat, "db1").unwrap();
        let e = c.drop_database(cat, "db1", false, true).unwrap_err();
        assert_eq!(e.message, "Cannot drop a database which is currently in use.");
        c.use_database(cat, "default_database").unwrap();
        c.drop_database(cat, "db1", false, true).unwrap();
        assert!(c.table_at(&path).is_none());
        let e = c.drop_database(cat, "db1", false, false).unwrap_err();
        assert_eq!(e.message, "Database db1 does not exist in Catalog default_catalog.");
        c.drop_database(cat, "db1", true, false).unwrap();
    }
}
