-- Nexmark q3: Local item suggestion: category-10 auctions of sellers in Oregon, Idaho or California
-- (an unbounded regular join).
-- Run: weir run queries/nexmark/q3.sql   or   weir nexmark --api sql --query q3
-- (`weir nexmark` replaces the source tables' and the result table's WITH options to
-- follow --events/--seed/--input and --output.)

CREATE TABLE person (
  id BIGINT,
  name VARCHAR,
  emailAddress VARCHAR,
  creditCard VARCHAR,
  city VARCHAR,
  state VARCHAR,
  `dateTime` TIMESTAMP(3),
  extra VARCHAR,
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'event-type' = 'person', 'events.num' = '10000000');

CREATE TABLE auction (
  id BIGINT,
  itemName VARCHAR,
  description VARCHAR,
  initialBid BIGINT,
  reserve BIGINT,
  `dateTime` TIMESTAMP(3),
  expires TIMESTAMP(3),
  seller BIGINT,
  category BIGINT,
  extra VARCHAR,
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'event-type' = 'auction', 'events.num' = '10000000');

CREATE TABLE nexmark_q3 (
  name VARCHAR, city VARCHAR, state VARCHAR, id BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q3
SELECT P.name, P.city, P.state, A.id
FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
