-- What each entity was created as, and by whom: an op of another kind for the same id is
-- refused (it would merge into a different record on every replica), and only a comment's
-- author may edit it.
ALTER TABLE entities ADD COLUMN entity TEXT;
ALTER TABLE entities ADD COLUMN creator TEXT;
UPDATE entities SET
    entity = (SELECT o.entity FROM ops o WHERE o.entity_id = entities.entity_id ORDER BY o.seq LIMIT 1),
    creator = (SELECT o.author FROM ops o
               WHERE o.entity_id = entities.entity_id AND o.kind = 'create' ORDER BY o.seq LIMIT 1);
