//! The `socket` connector from SQL against a server the test runs on loopback: rows in the
//! table's format until the server closes, another delimiter, a changelog format, and errors.

use crate::sql_common;

use sql_common::run;

use std::io::Write;
use std::net::TcpListener;

/// A server on 127.0.0.1 that sends `data` to its first client and closes; its port.
fn serve(data: &'static [u8]) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(data).unwrap();
    });
    (port, server)
}

#[test]
fn rows_from_a_socket_until_it_closes() {
    let (port, server) = serve(b"{\"word\":\"a\",\"n\":1}\n{\"word\":\"b\",\"n\":2}\n{\"word\":\"a\",\"n\":3}\n");
    let sql = format!(
        "CREATE TABLE words (word STRING, n INT) WITH ('connector' = 'socket', 'hostname' = '127.0.0.1',
         'port' = '{port}', 'format' = 'json');
         SELECT word, SUM(n) FROM words GROUP BY word;"
    );
    let rows = run(&sql, 2).unwrap();
    server.join().unwrap();
    assert!(rows.iter().any(|r| r == "+U[a, 4]" || r == "+I[a, 4]"), "{rows:?}");
    assert!(rows.iter().any(|r| r == "+I[b, 2]"), "{rows:?}");
}

#[test]
fn csv_with_another_delimiter_and_a_changelog_format() {
    let (port, server) = serve(b"1,x;2,y;3,z");
    let sql = format!(
        "CREATE TABLE t (id INT, v STRING) WITH ('connector' = 'socket', 'hostname' = '127.0.0.1',
         'port' = '{port}', 'format' = 'csv', 'byte-delimiter' = '59');
         SELECT * FROM t;"
    );
    assert_eq!(run(&sql, 1).unwrap(), ["+I[1, x]", "+I[2, y]", "+I[3, z]"]);
    server.join().unwrap();

    let (port, server) = serve(
        b"{\"after\":{\"id\":1,\"v\":\"x\"},\"op\":\"c\"}\n{\"before\":{\"id\":1,\"v\":\"x\"},\"after\":{\"id\":1,\"v\":\"y\"},\"op\":\"u\"}\n",
    );
    let sql = format!(
        "CREATE TABLE t (id INT, v STRING) WITH ('connector' = 'socket', 'hostname' = '127.0.0.1',
         'port' = '{port}', 'format' = 'debezium-json');
         SELECT * FROM t;"
    );
    assert_eq!(run(&sql, 1).unwrap(), ["+I[1, x]", "-U[1, x]", "+U[1, y]"]);
    server.join().unwrap();
}

#[test]
fn a_bad_record_names_the_socket_and_record() {
    let (port, server) = serve(b"1,x\nnot a number,y\n");
    let sql = format!(
        "CREATE TABLE t (id INT, v STRING) WITH ('connector' = 'socket', 'hostname' = '127.0.0.1',
         'port' = '{port}', 'format' = 'csv');
         SELECT * FROM t;"
    );
    let e = run(&sql, 1).unwrap_err().to_string();
    server.join().unwrap();
    assert!(e.contains(&format!("table 't', socket 127.0.0.1:{port}, record 2")), "{e}");
    assert!(e.contains("record: not a number,y"), "{e}");
}

#[test]
fn socket_options_are_checked() {
    let table =
        |opts: &str| format!("CREATE TABLE t (line STRING) WITH ('connector' = 'socket', 'format' = 'raw'{opts});");
    let e = run(&table(", 'hostname' = 'localhost'"), 1).unwrap_err().to_string();
    assert!(e.contains("'port'"), "{e}");
    let e = run(&table(", 'hostname' = 'localhost', 'port' = '99999'"), 1).unwrap_err().to_string();
    assert!(e.contains("must be a port number, not '99999'"), "{e}");
    let e = run(&table(", 'hostname' = 'localhost', 'port' = '9', 'byte-delimiter' = ';'"), 1).unwrap_err().to_string();
    assert!(e.contains("'byte-delimiter' of table 't' must be a byte value"), "{e}");
    let e = run(&table(", 'hostname' = 'localhost', 'port' = '9', 'path' = '/x'"), 1).unwrap_err().to_string();
    assert!(e.contains("Unsupported option 'path' for connector 'socket'"), "{e}");
    // Nothing listens on a port just freed.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = run(&format!("{}SELECT * FROM t;", table(&format!(", 'hostname' = '127.0.0.1', 'port' = '{port}'"))), 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("cannot connect to socket 127.0.0.1:{port}")), "{e}");
}
