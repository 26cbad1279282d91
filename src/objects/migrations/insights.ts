// Migrations of the Insights objects from the shapes earlier releases wrote.

/**
 * Written by the releases before report batching: rowid tables with a separate primary-key index,
 * and an index on recent(updated_at), so every counter bump and recent-row upsert wrote two or
 * three rows (each billed). Each table is rebuilt WITHOUT ROWID with its rows, and the index goes,
 * once, on the first wake under this code; reading sqlite_master is read-only otherwise. Delete once
 * every Insights object has woken under this release: they wake at least daily (cleanup alarm).
 */
export function migrateInsightTables(sql: SqlStorage, tables: Readonly<Record<string, string>>): void {
  const old = sql
    .exec("SELECT name, sql FROM sqlite_master WHERE (type = 'table' AND sql NOT LIKE '%WITHOUT ROWID%') OR (type = 'index' AND name = 'recent_by_time')")
    .toArray() as { name: string; sql: string | null }[];
  for (const { name } of old) {
    if (name === "recent_by_time") {
      sql.exec("DROP INDEX IF EXISTS recent_by_time");
      continue;
    }
    const columns = tables[name];
    if (!columns) continue;
    sql.exec(`CREATE TABLE ${name}_next (${columns}) WITHOUT ROWID`);
    sql.exec(`INSERT INTO ${name}_next SELECT * FROM ${name}`);
    sql.exec(`DROP TABLE ${name}`);
    sql.exec(`ALTER TABLE ${name}_next RENAME TO ${name}`);
  }
}
