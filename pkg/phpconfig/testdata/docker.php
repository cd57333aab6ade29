<?php
// Container image configuration: every setting can come from the
// environment, with a default when the variable is unset or empty.
unset($CFG);
global $CFG;
$CFG = new \stdClass();

$CFG->dbtype    = getenv('MOODLE_DB_TYPE') ?: 'pgsql';
$CFG->dblibrary = 'native';
$CFG->dbhost    = getenv('MOODLE_DB_HOST') ?: 'localhost';
$CFG->dbname    = getenv('MOODLE_DB_NAME') ?: 'moodle';
$CFG->dbuser    = getenv('MOODLE_DB_USER') ?: 'moodle';
$CFG->dbpass    = getenv('MOODLE_DB_PASSWORD') ?: '';
$CFG->prefix    = getenv('MOODLE_DB_PREFIX') ?: 'mdl_';
$CFG->dboptions = [
    'dbpersist'   => false,
    'dbsocket'    => false,
    'dbport'      => (int) getenv('MOODLE_DB_PORT'),
    'dbcollation' => 'utf8mb4_unicode_ci',
    'readonly'    => [
        'instance' => [getenv('MOODLE_DB_REPLICA') ?: 'replica.local'],
        'latency'  => 0.5,
    ],
];

$CFG->wwwroot  = getenv('MOODLE_URL') ?: 'http://localhost:8080';
$CFG->dataroot = getenv('MOODLE_DATAROOT') ?: '/var/www/moodledata';
$CFG->admin    = 'admin';
$CFG->directorypermissions = 0o2770;

$CFG->sslproxy     = (bool) getenv('MOODLE_SSLPROXY');
$CFG->reverseproxy = getenv('MOODLE_REVERSEPROXY') === 'true';
$CFG->noemailever  = getenv('MOODLE_NOEMAIL') !== false;
$CFG->debug        = (int) (getenv('MOODLE_DEBUG') ?: 0);
$CFG->debugdisplay = (int) getenv('MOODLE_DEBUG_DISPLAY');

// getenv() returns false, not null, when a variable is unset, so ?? never
// falls back here: the port ends up as (int) false, which is 0.
$CFG->session_redis_port = (int) (getenv('REDIS_PORT') ?? 6379);
$CFG->session_redis_host = getenv('REDIS_HOST') ?: 'redis';

$CFG->cachedir      = getenv('MOODLE_CACHEDIR') ?: $CFG->dataroot . '/cache';
$CFG->localcachedir = "{$CFG->dataroot}/localcache";
$CFG->tempdir       = "$CFG->dataroot/temp";
$CFG->smtphosts     = getenv('SMTP_HOST') . ':' . (getenv('SMTP_PORT') ?: 25);

define('MOODLE_DOCKER', true);
$CFG->isdocker = MOODLE_DOCKER;

require_once(dirname(__FILE__) . '/lib/setup.php');
