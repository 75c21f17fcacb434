// DuckDB (one thread) doing iot-window's benchmark task: 1-minute tumbling windows per device,
// count/avg/min/max of temperature, avg and stdev of vibration, over an NDJSON file.
// Used by bench/bench-duckdb.sh; DuckDB comes from the npm registry (@duckdb/node-api).
import { DuckDBInstance } from '@duckdb/node-api';
const file = process.argv[2];
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const t0 = performance.now();
const r = await con.runAndReadAll(`
  SELECT deviceId, time_bucket(INTERVAL 1 minute, timestamp) AS ws, count(*) c, avg(temperature), min(temperature), max(temperature), avg(vibration), stddev_samp(vibration)
  FROM read_json('${file}', format='newline_delimited', columns={deviceId:'VARCHAR', deviceType:'VARCHAR', timestamp:'TIMESTAMP', temperature:'DOUBLE', pressure:'DOUBLE', vibration:'DOUBLE', priority:'VARCHAR', messageType:'VARCHAR'})
  GROUP BY ALL`);
const rows = r.getRows().length;
console.log(JSON.stringify({ rows, seconds: (performance.now() - t0) / 1000 }));
