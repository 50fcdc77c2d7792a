-- Hashes and encodings: MD5, SHA1, SHA256, SHA2(…, 512), TO_BASE64 / FROM_BASE64 round trip,
-- HEX of a string, STR_TO_MAP with access by key, SPLIT_INDEX with a multi-char delimiter.
CREATE TABLE t (id INT, s STRING, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, md5_s STRING, sha1_s STRING, sha256_s STRING, sha512_s STRING, b64 STRING, back STRING,
  hex_s STRING, m_a STRING, m_c STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, MD5(s), SHA1(s), SHA256(s), SHA2(s, 512), TO_BASE64(s), FROM_BASE64(TO_BASE64(s)),
  HEX(s),
  STR_TO_MAP('a=1,b=2,c=' || CAST(n AS STRING))['a'],
  STR_TO_MAP('a:x;c:' || COALESCE(s, '?'), ';', ':')['c']
FROM t;
