-- Encoding helpers: URL_ENCODE / URL_DECODE round trip (spaces, '+', '%', unicode),
-- PRINTF with %s %d %05d %.2f %x, HEX of a string and of a number, UNHEX back to a
-- string, TO_BASE64 / FROM_BASE64 of unicode.
CREATE TABLE t (id INT, s STRING, n INT, x DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, enc STRING, decoded STRING, dec_plus STRING, pf STRING, pf_num STRING, pf_hex STRING,
  hx STRING, hx_n STRING, unhx STRING, b64 STRING, unb64 STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  URL_ENCODE(s),
  URL_DECODE(URL_ENCODE(s)),
  URL_DECODE('a+b%20c'),
  PRINTF('%s|%d', s, n),
  PRINTF('%05d %.2f', n, x),
  PRINTF('%x', n),
  HEX(s),
  HEX(n),
  CAST(UNHEX(HEX(s)) AS STRING),
  TO_BASE64(s),
  FROM_BASE64(TO_BASE64(s))
FROM t;
