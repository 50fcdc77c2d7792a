//! A Kafka-protocol broker for tests (tansu on loopback).
