-- Parsing semi-structured text: PARSE_URL parts (HOST, PORT-less AUTHORITY, USERINFO, FILE,
-- REF, QUERY key with empty and encoded values), STR_TO_MAP with custom delimiters
-- (duplicate keys, a key without value), SPLIT_INDEX with empty fields and negative index.
CREATE TABLE t (id INT, u STRING, kv STRING, csv STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  PARSE_URL(u, 'HOST') AS host,
  PARSE_URL(u, 'AUTHORITY') AS auth,
  PARSE_URL(u, 'USERINFO') AS ui,
  PARSE_URL(u, 'FILE') AS file,
  PARSE_URL(u, 'REF') AS frag,
  PARSE_URL(u, 'QUERY', 'id') AS q_id,
  PARSE_URL(u, 'QUERY', 'y') AS q_y,
  STR_TO_MAP(kv, ';', '=')['b'] AS m_b,
  STR_TO_MAP(kv, ';', '=')['dup'] AS m_dup,
  STR_TO_MAP(kv, ';', '=')['noval'] AS m_noval,
  CARDINALITY(STR_TO_MAP(kv, ';', '=')) AS m_n,
  STR_TO_MAP(kv, ';', ':')['k'] AS m_colon,
  SPLIT_INDEX(csv, ',', 2) AS f3,
  SPLIT_INDEX(csv, ',', 0) AS f1,
  SPLIT_INDEX(csv, ',', -1) AS f_neg
FROM t;
