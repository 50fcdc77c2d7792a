-- Nexmark q3 ("local item suggestion"): sellers in OR, ID or CA and their auctions of
-- category 10. The filters on each side run before the join; the join is insert-only.
CREATE TABLE person (
  id BIGINT,
  name STRING,
  city STRING,
  state STRING
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/person.jsonl', 'format' = 'json');

CREATE TABLE auction (
  id BIGINT,
  seller BIGINT,
  category BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/auction.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  name STRING, city STRING, state STRING, id BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT P.name, P.city, P.state, A.id
FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
