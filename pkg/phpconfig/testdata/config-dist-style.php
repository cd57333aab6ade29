<?php
///////////////////////////////////////////////////////////////////////////
//                                                                       //
// Sample site configuration, written in the layout of a distribution    //
// template: copy it to config.php and edit the values below.            //
//                                                                       //
// This file is part of the moodle-ltiprovider test suite and is free    //
// software under the GNU GPL v3 or later.                                //
//                                                                       //
///////////////////////////////////////////////////////////////////////////
unset($CFG);  // Start from nothing
global $CFG;  // Needed when this file is included from a function
$CFG = new stdClass();

//=========================================================================
// 1. DATABASE
//=========================================================================
// Where the site's tables live.                                          //

$CFG->dbtype    = 'pgsql';      // 'pgsql', 'mariadb', 'mysqli', 'sqlsrv' or 'oci'
$CFG->dblibrary = 'native';     // 'native' only
$CFG->dbhost    = 'localhost';  // a host name or an IP address
$CFG->dbname    = 'moodle';     // database name
$CFG->dbuser    = 'username';   // database user
$CFG->dbpass    = 'password';   // database password
$CFG->prefix    = 'mdl_';       // table prefix
$CFG->dboptions = array(
    'dbpersist' => false,       // persistent connections: keep false
                                //  unless you know why you want them
    'dbsocket'  => false,       // connect through a UNIX socket? 'true'
                                //  or a socket path
    'dbport'    => '',          // TCP port; '' means the default port
    'dbhandlesoptions' => false,// set true behind poolers such as
                                // pgbouncer that reject connection options
    'dbcollation' => 'utf8mb4_unicode_ci', // MySQL/MariaDB only
    // 'versionfromdb' => false,   // ask the server for its version
    // 'extrainfo' => [],       // driver specific extras
    // 'fetchbuffersize' => 100000, // rows fetched at once (PostgreSQL)
    /*
    'connecttimeout' => null, // seconds
    'readonly' => [           // read-only replica settings
      'instance' => [
        [
          'dbhost' => 'replica.dbhost',
          'dbport' => '',
        ],
      ],
      'latency' => 0.5,
    ]
     */
// More database options are described in the admin documentation.
);


//=========================================================================
// 2. WEB ADDRESS
//=========================================================================
// The full address of the site, without a trailing slash.

$CFG->wwwroot   = 'http://example.com/moodle';


//=========================================================================
// 3. DATA DIRECTORY
//=========================================================================
// A directory the web server can write to but not serve.
// On Windows this could be 'c:\moodledata'.

$CFG->dataroot  = '/home/example/moodledata';

// Whether the URL router is configured on the web server.
$CFG->routerconfigured = false;

//=========================================================================
// 4. PERMISSIONS
//=========================================================================
// Octal permissions for new directories; the leading 0 matters and the
// value must not be quoted.

$CFG->directorypermissions = 02777;


//=========================================================================
// 5. ADMIN DIRECTORY
//=========================================================================

$CFG->admin = 'admin';


//=========================================================================
// 6. OPTIONAL SETTINGS (leave commented out unless needed)
//=========================================================================
//
//     date_default_timezone_set('Europe/London');
//
//      $CFG->mnetkeylifetime = 28;
//
// Sessions in Redis:
//
// $CFG->session_handler_class = '\core\session\redis';
// $CFG->session_redis_host = '127.0.0.1';
// $CFG->session_redis_port = 6379;
//
// Sessions in the database:
//
//      $CFG->session_handler_class = '\core\session\database';
//      $CFG->session_database_acquire_lock_timeout = 120;
//
// Developer settings, NOT FOR PRODUCTION:
// @error_reporting(E_ALL | E_STRICT);
// @ini_set('display_errors', '1');
// $CFG->debug = (E_ALL | E_STRICT);
// $CFG->debugdisplay = 1;
//
// Scheduled task overrides:
//
//      $CFG->scheduled_tasks = [
//          '\local_plugin\task\my_task' => [
//              'schedule' => '*/15 0 0 0 0',
//              'disabled' => 0,
//          ],
//      ];
//
// Password peppers:
//
//      $CFG->passwordpeppers = [
//          1 => '#GV]NLie|x$H9[$rW%94bXZvJHa%z'
//      ];
//
//=========================================================================
// ALL DONE!
//=========================================================================

require_once(__DIR__ . '/lib/setup.php'); // Do not edit

// There is no php closing tag in this file,
// it is intentional because it prevents trailing whitespace problems!
