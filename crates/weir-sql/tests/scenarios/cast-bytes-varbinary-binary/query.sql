-- BYTES / VARBINARY / BINARY(n) in expressions: CAST from STRING (UTF-8 bytes), back to STRING
-- (UTF-8 decoded), BINARY(n) padded with zero bytes or cut, VARBINARY(n) cut; digests and
-- Base64 of bytes; a BYTES column written by the json format (Base64 text).
CREATE TABLE t (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, b BYTES, back STRING, n INT, b4 BYTES, vb2 BYTES, b4_str_len INT, b64 STRING, md5_b STRING, sha_b STRING, eq BOOLEAN
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, CAST(s AS BYTES), CAST(CAST(s AS BYTES) AS STRING), CHAR_LENGTH(CAST(CAST(s AS VARBINARY) AS STRING)),
  CAST(s AS BINARY(4)), CAST(s AS VARBINARY(2)), CHAR_LENGTH(CAST(CAST(s AS BINARY(4)) AS STRING)),
  TO_BASE64(CAST(s AS BYTES)), MD5(CAST(s AS BYTES)), SHA256(CAST(s AS VARBINARY(3))),
  CAST(s AS BYTES) = CAST('hi' AS BYTES)
FROM t;
