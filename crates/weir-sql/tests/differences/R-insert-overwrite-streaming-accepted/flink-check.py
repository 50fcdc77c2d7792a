from pyflink.table import EnvironmentSettings, TableEnvironment
t = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
t.get_config().set("parallelism.default", "1")
t.execute_sql("CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/work/r-stage/min-hint-path/data/a.jsonl', 'format' = 'json')")
t.execute_sql("CREATE TABLE o (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp/r-ow-flink', 'format' = 'json')")
try:
    t.execute_sql("INSERT OVERWRITE o SELECT a FROM t").wait()
    print("FLINK OK")
except Exception as e:
    import re; m=[l for l in str(e).split("\n") if "Exception" in l]; print("FLINK ERROR:", m[:3])
