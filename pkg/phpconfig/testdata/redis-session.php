<?php  // Moodle configuration file

unset($CFG);
global $CFG;
$CFG = new stdClass();

$CFG->dbtype    = 'pgsql';
$CFG->dblibrary = 'native';
$CFG->dbhost    = 'localhost';
$CFG->dbname    = 'moodle';
$CFG->dbuser    = 'moodle';
$CFG->dbpass    = 'moodle';
$CFG->prefix    = 'mdl_';
$CFG->dboptions = array('dbport' => 5432);

$CFG->wwwroot   = 'https://learn.example.edu/moodle';
$CFG->dataroot  = '/srv/moodledata';

// Sessions live in Redis.
$CFG->session_handler_class = '\core\session\redis';
$CFG->session_redis_host = '127.0.0.1';
$CFG->session_redis_port = 6379;  // Optional.
$CFG->session_redis_database = 0;  // Optional, default is db 0.
$CFG->session_redis_auth = ''; // Optional, default is don't set one.
$CFG->session_redis_prefix = 'mdl_'; // Optional, default is don't set one.
$CFG->session_redis_acquire_lock_timeout = 120;
$CFG->session_redis_acquire_lock_warn = 0;
$CFG->session_redis_lock_expire = 7200;
$CFG->session_redis_lock_retry = 100;
$CFG->session_redis_serializer_use_igbinary = false;
$CFG->session_redis_compressor = 'none';
$CFG->session_redis_encrypt = ['verify_peer' => false, 'cafile' => '/etc/ssl/redis-ca.pem'];
// $CFG->session_handler_class = '\core\session\memcached';
/* $CFG->session_handler_class = '\core\session\database'; */
# $CFG->session_redis_host = 'old-redis';

$CFG->sessioncookie = 'Prod';
$CFG->sessioncookiepath = '/moodle/';
$CFG->sessioncookiedomain = '.example.edu';
$CFG->sessiontimeout = 8 * 60 * 60;

require_once(__DIR__ . '/lib/setup.php');
