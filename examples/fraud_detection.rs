//! Fraud detection with a `KeyedProcessFunction` and keyed state, after Flink's
//! DataStream tutorial: flag an account when a transaction under $1.00 is immediately
//! followed by one over $500.00.
//!
//! The per-account flag lives in `ValueState<bool>`, declared in `open` and read and
//! written through the context, which carries the current account.
//!
//! ```text
//! cargo run -p weir-examples --bin fraud_detection
//! ```

use weir::prelude::*;

const SMALL_AMOUNT: f64 = 1.00;
const LARGE_AMOUNT: f64 = 500.00;

/// One card transaction.
#[derive(Debug, Clone)]
struct Transaction {
    account: u64,
    amount: f64,
}

/// Remembers per account whether the last transaction was small.
#[derive(Clone, Default)]
struct FraudDetector {
    last_was_small: Option<ValueState<bool>>,
}

impl KeyedProcessFunction<u64, Transaction, String> for FraudDetector {
    fn open(&mut self, ctx: &mut RuntimeContext<u64>) -> Result<(), BoxError> {
        self.last_was_small = Some(ctx.get_state(&ValueStateDescriptor::new("last-was-small"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        tx: Transaction,
        ctx: &mut KeyedContext<u64>,
        out: &mut Collector<String>,
    ) -> Result<(), BoxError> {
        let flag = self.last_was_small.expect("declared in open");
        if flag.value(ctx)?.unwrap_or(false) && tx.amount > LARGE_AMOUNT {
            out.collect(format!("ALERT account={} amount={:.2}", tx.account, tx.amount));
        }
        if tx.amount < SMALL_AMOUNT {
            flag.update(ctx, true)?;
        } else {
            flag.clear(ctx)?;
        }
        Ok(())
    }
}

fn main() -> anyhow::Result<()> {
    // Account 3 makes a small then a large payment (fraud); account 1 makes a small
    // payment, then a normal one, then a large one (no alert).
    let transactions =
        [(1, 0.50), (2, 20.00), (3, 0.10), (1, 30.00), (3, 900.00), (2, 700.00), (1, 650.00), (4, 0.99), (4, 501.00)]
            .into_iter()
            .map(|(account, amount)| Transaction { account, amount })
            .collect();

    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    env.from_collection(transactions)
        .key_by(|t: &Transaction| t.account)
        .process(FraudDetector::default())
        .name("fraud-detector")
        .print()
        .set_parallelism(1);
    env.execute("Fraud Detection")?;
    Ok(())
}
