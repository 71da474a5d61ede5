//! Background work. Its state lives in PostgreSQL, so any instance may do any piece of it and a
//! restart loses none of it.

pub mod imports;
