-- +goose Up
-- Demo sign-ins are limited by the same shared rate buckets as tenant and operator sign-ins
-- (rate_events), which take each attempt before it is evaluated.
DROP TABLE demo_login_failures;
