/** A small application database used by the failure, verification and rollback tests. */
import { createDatabase, sql } from './postgres.ts'

export const APP_SCHEMA = `
CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, balance numeric(12, 2) NOT NULL DEFAULT 0);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  account_id int NOT NULL REFERENCES accounts (id),
  placed_at timestamptz NOT NULL,
  items jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX orders_account_idx ON orders (account_id, placed_at);
CREATE VIEW account_totals AS SELECT a.id, a.email, count(o.id) AS orders FROM accounts a LEFT JOIN orders o ON o.account_id = a.id GROUP BY a.id;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.balance := NEW.balance; RETURN NEW; END $$;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch();
COMMENT ON TABLE accounts IS 'who pays';

INSERT INTO accounts (email, balance) SELECT 'user' || i || '@example.com', i * 1.5 FROM generate_series(1, 50) i;
INSERT INTO orders (account_id, placed_at, items)
  SELECT 1 + i % 50, timestamptz '2024-01-01 00:00+00' + i * interval '1 hour', jsonb_build_array(i, 'item ' || i)
    FROM generate_series(1, 500) i;
`

export async function createAppDatabase(database: string): Promise<void> {
  await createDatabase(database)
  await sql(database, APP_SCHEMA)
}
