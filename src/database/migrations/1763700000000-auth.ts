import { MigrationInterface, QueryRunner } from 'typeorm';

/** Client-assertion `jti`s already used, kept until they expire, so a replay is refused on any instance. */
export class Auth1763700000000 implements MigrationInterface {
  name = 'Auth1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE oauth_used_jti (
      client_id text NOT NULL,
      jti text NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (client_id, jti)
    )`);
    await q.query(`CREATE INDEX oauth_used_jti_expires ON oauth_used_jti (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE oauth_used_jti`);
  }
}
