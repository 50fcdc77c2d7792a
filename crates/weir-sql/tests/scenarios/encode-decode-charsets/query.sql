-- ENCODE(string, charset) / DECODE(bytes, charset) with Java's charsets: UTF-8, US-ASCII and
-- ISO-8859-1 ('?' for a character they cannot hold), UTF-16 (byte-order mark, big-endian),
-- UTF-16BE / UTF-16LE, names in any case and aliases; malformed bytes decode to U+FFFD.
CREATE TABLE t (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, back STRING, utf8 STRING, ascii STRING, latin1 STRING, u16 STRING, u16be BYTES, u16le STRING,
  d16 STRING, d16le_as_be STRING, d_ascii STRING, d_latin1 STRING, bad STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, DECODE(ENCODE(s, 'UTF-8'), 'UTF-8'), TO_BASE64(ENCODE(s, 'utf-8')), TO_BASE64(ENCODE(s, 'US-ASCII')),
  TO_BASE64(ENCODE(s, 'latin1')), TO_BASE64(ENCODE(s, 'UTF-16')), ENCODE(s, 'UTF-16BE'), TO_BASE64(ENCODE(s, 'UTF-16LE')),
  DECODE(ENCODE(s, 'UTF-16'), 'UTF-16'), DECODE(ENCODE(s, 'UTF-16LE'), 'UTF-16'), DECODE(ENCODE(s, 'UTF-8'), 'US-ASCII'),
  DECODE(ENCODE(s, 'UTF-8'), 'ISO-8859-1'), DECODE(X'C328FF', 'UTF-8')
FROM t;
