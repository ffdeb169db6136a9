-- The working calendar is the company's, synced as a settings entity, no longer a local
-- preference: same value (a JSON list of {date, working}), under a key of its own.
UPDATE meta SET key = 'company.calendar' WHERE key = 'pref.calendar';
