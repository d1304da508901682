-- The directory tables of a PostfixAdmin-managed platform, in the shape PostfixAdmin gives them (the columns
-- Postfix and Dovecot read: domain, mailbox, alias). Used by the test clusters; a real platform already has them.
CREATE TABLE IF NOT EXISTS domain (
    domain      varchar(255) PRIMARY KEY,
    description varchar(255) NOT NULL DEFAULT '',
    aliases     integer      NOT NULL DEFAULT 0,
    mailboxes   integer      NOT NULL DEFAULT 0,
    maxquota    bigint       NOT NULL DEFAULT 0,
    quota       bigint       NOT NULL DEFAULT 0,
    transport   varchar(255) NOT NULL DEFAULT 'virtual',
    backupmx    boolean      NOT NULL DEFAULT false,
    created     timestamptz  NOT NULL DEFAULT now(),
    modified    timestamptz  NOT NULL DEFAULT now(),
    active      boolean      NOT NULL DEFAULT true
);
CREATE TABLE IF NOT EXISTS mailbox (
    username    varchar(255) PRIMARY KEY,
    password    varchar(255) NOT NULL,
    name        varchar(255) NOT NULL DEFAULT '',
    maildir     varchar(255) NOT NULL,
    quota       bigint       NOT NULL DEFAULT 0,
    local_part  varchar(255) NOT NULL,
    domain      varchar(255) NOT NULL REFERENCES domain (domain),
    created     timestamptz  NOT NULL DEFAULT now(),
    modified    timestamptz  NOT NULL DEFAULT now(),
    active      boolean      NOT NULL DEFAULT true
);
CREATE TABLE IF NOT EXISTS alias (
    address     varchar(255) PRIMARY KEY,
    goto        text         NOT NULL,
    domain      varchar(255) NOT NULL REFERENCES domain (domain),
    created     timestamptz  NOT NULL DEFAULT now(),
    modified    timestamptz  NOT NULL DEFAULT now(),
    active      boolean      NOT NULL DEFAULT true
);
