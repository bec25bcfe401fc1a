CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE comments (tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER, created FLOAT NOT NULL,
  modified FLOAT, mode INTEGER, remote_addr VARCHAR, text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
  likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL, notification INTEGER DEFAULT 0);
INSERT INTO threads VALUES (1, '/posts/hello-world/', 'Hello, world'), (2, '/posts/writing-posts', 'Writing posts');
INSERT INTO comments VALUES (1, 1, NULL, 1546300800.5, NULL, 1, '192.0.2.0', 'Isso uses *Markdown* and <b>raw</b> html.', 'Ada', 'ada@example.com', NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (1, 2, 1, 1546300900.0, NULL, 1, '192.0.2.0', 'A reply without a name or email.', NULL, NULL, NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (1, 3, NULL, 1546301000.0, NULL, 2, '192.0.2.0', 'Still in the moderation queue.', 'Bob', 'bob@example.com', NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (1, 4, NULL, 1546301100.0, NULL, 4, '192.0.2.0', '', NULL, NULL, NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (1, 5, 4, 1546301200.0, NULL, 1, '192.0.2.0', 'A reply to a deleted comment: Ünïcödé ✓', 'Zoë', 'zoe@example.com', NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (2, 6, NULL, 1546301300.0, NULL, 1, '192.0.2.0', 'On the second post.', 'Ada', 'ada@example.com', NULL, 0, 0, x'00', 0);
