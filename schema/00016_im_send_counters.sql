-- +goose Up
-- Every message updates its chat's counter row and both users' event counters. With full
-- pages such an update cannot stay on its page (a HOT update): it writes a new row version
-- elsewhere and a new entry into every index of the table, and the indexes grow until
-- vacuum. Room left on each page keeps these updates HOT, whatever the tables hold.
ALTER TABLE im_chats SET (fillfactor = 80);
ALTER TABLE im_user_states SET (fillfactor = 80);
