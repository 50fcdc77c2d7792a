-- Catalogs and databases: a second in-memory catalog (its database named by
-- 'default-database'), a second database of the default catalog, `USE` between statements so
-- unqualified names resolve in the current database, a view in one catalog reading a table of
-- its own database, and the query joining it with a table of another catalog, written into a
-- third database.
CREATE CATALOG shop WITH ('type' = 'generic_in_memory', 'default-database' = 'main');
CREATE CATALOG IF NOT EXISTS shop WITH ('type' = 'generic_in_memory');
CREATE DATABASE shop.sales COMMENT 'orders';
CREATE DATABASE IF NOT EXISTS reference;
CREATE DATABASE IF NOT EXISTS reference;
USE CATALOG shop;
USE sales;
CREATE TABLE orders (id INT, customer INT, amount DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE default_catalog.reference.customers (id INT, name STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/customers.jsonl', 'format' = 'json');
CREATE VIEW big_orders AS SELECT id, customer, amount FROM orders WHERE amount > 10;
CREATE TABLE main.results (order_id INT, name STRING, amount DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
USE `default_catalog`.`reference`;
ALTER DATABASE shop.sales SET ('owner' = 'ops');

INSERT INTO shop.main.results
SELECT o.id, c.name, o.amount
FROM shop.sales.big_orders AS o
JOIN customers AS c ON o.customer = c.id;
