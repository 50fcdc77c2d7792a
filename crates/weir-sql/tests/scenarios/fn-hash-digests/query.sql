-- Hashing for keys and dedup: MD5, SHA1, SHA224, SHA384, SHA2 with 224 / 256 / 384 / 512 bits
-- over ASCII, empty, NULL and multi-byte text, and a hash of a concatenated key.
CREATE TABLE t (id INT, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  MD5(s) AS md5,
  SHA1(s) AS sha1,
  SHA224(s) AS sha224,
  SHA384(s) AS sha384,
  SHA2(s, 224) AS sha2_224,
  SHA2(s, 256) AS sha2_256,
  SHA2(s, 512) AS sha2_512,
  MD5(CONCAT_WS('|', CAST(id AS STRING), s)) AS key_md5,
  CHAR_LENGTH(SHA2(s, 384)) AS len384
FROM t;
