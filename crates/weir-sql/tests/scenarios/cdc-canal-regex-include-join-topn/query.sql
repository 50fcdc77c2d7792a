-- A Canal binlog of two shard databases (regex 'canal-json.database.include', an archive
-- database left out), items joined with their average rating, then the two best-rated items
-- per category over the updating join (an item changes category, one is deleted).
CREATE TABLE items (id INT, cat STRING, title STRING, price DECIMAL(8, 2))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/binlog.json', 'format' = 'canal-json',
      'canal-json.database.include' = 'shop_.*', 'canal-json.table.include' = 'items');
CREATE TABLE ratings (item INT, stars INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ratings.jsonl', 'format' = 'json');

CREATE VIEW rated AS
SELECT i.id, i.cat, i.title, i.price, AVG(CAST(r.stars AS DOUBLE)) AS avg_stars, COUNT(r.stars) AS votes
FROM items AS i JOIN ratings AS r ON i.id = r.item
GROUP BY i.id, i.cat, i.title, i.price;

SELECT cat, title, price, avg_stars, votes, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY avg_stars DESC, price DESC, id) AS rn FROM rated)
WHERE rn <= 2;
