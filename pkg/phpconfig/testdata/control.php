<?php
// Settings chosen by control structures, which the reader does not run.
unset($CFG);
global $CFG;
$CFG = new stdClass();

$CFG->wwwroot = 'http://a.example';
$CFG->dbhost  = 'localhost';
$CFG->theme   = 'boost';

if (getenv('MOODLE_ENV') === 'production') {
    $CFG->dbhost = 'db-prod';
    $CFG->debug = 0;
} elseif (getenv('MOODLE_ENV') === 'staging') {
    $CFG->dbhost = 'db-staging';
} else {
    $CFG->theme = 'classic';
    $CFG->extra['nested'] = true;
}

foreach (['a', 'b'] as $item) {
    $CFG->list[] = $item;
}

if (!defined('BEHAT_SITE_RUNNING')):
    $CFG->behat_wwwroot = 'http://behat.example';
    define('EXTRA_CONST', 1);
endif;

while (false) $CFG->never = 1;

function moodle_local_helper() {
    global $CFG;
    $CFG->sethelper = 'by function';
}
moodle_local_helper();

// Real PHP functions this reader does not evaluate.
$CFG->tempdir  = sys_get_temp_dir() . '/moodle';
$CFG->hostname = strtolower('HOST');
$CFG->theme ??= 'fallback';

$CFG->after   = 'still read';
$CFG->dbhost  = 'final-host';
$CFG->usesenv = getenv('NOT_SET_ANYWHERE') ?: 'default';

require_once(__DIR__ . '/lib/setup.php');
