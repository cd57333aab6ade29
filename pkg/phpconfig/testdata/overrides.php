<?php
// Later assignments win; element writes, pushes and operators.
unset($CFG);
global $CFG;
$CFG = new stdClass();

$CFG->dbhost = 'first';
$CFG->dbhost = 'second';

$CFG->dboptions = array (
  'dbpersist' => 0,
  'dbport' => '',
  'extrainfo' => 
  array (
    'ssl' => 
    array (
      'verify' => true,
    ),
  ),
);
$CFG->dboptions['dbport'] = 3307;
$CFG->dboptions['readonly']['instance'][] = 'replica1';
$CFG->dboptions['readonly']['instance'][] = 'replica2';
$CFG->dboptions['extrainfo']['ssl']['verify'] = false;
unset($CFG->dboptions['dbpersist']);

$CFG->newarray['a']['b'] = 'created';
$CFG->pushed[] = 'zero';
$CFG->pushed[] = 'one';
$CFG->pushed[10] = 'ten';
$CFG->pushed[] = 'eleven';
$CFG->pushed['5'] = 'int key 5';
$CFG->pushed['05'] = 'string key 05';
$CFG->keys = [true => 'bool', null => 'null', 2.9 => 'float', '-3' => 'neg', -3 => 'neg again', 'x', 'y', [1, 2,], ];
$CFG->negstart = [-5 => 'a', 'b'];

$CFG->wwwroot = 'http://example.com';
$CFG->wwwroot .= '/moodle';
$CFG->copy = $CFG->dboptions;
$CFG->copy['dbport'] = 1;

$CFG->gone = 'x';
unset($CFG->gone);

$CFG->directorypermissions = 02777;
$CFG->filepermissions = $CFG->directorypermissions & 0666;
$CFG->umaskperm = 0777 ^ 022 | 0;
$CFG->shifted = 1 << 4 >> 1;

$base = '/srv/moodle';
$CFG->dataroot = $base . 'data';
$CFG->dirroot = dirname(__FILE__);
$CFG->parent = dirname(__DIR__, 2);
$CFG->thisfile = __FILE__;
$CFG->line = __LINE__;

define('SITE_NAME', 'Example');
const SITE_KIND = 'LMS';
defined('SITE_NAME') || define('SITE_NAME', 'ignored');
$CFG->sitename = SITE_NAME . ' ' . SITE_KIND;
$CFG->a = $CFG->b = 'chained';

$CFG->errlevel = E_ALL & ~E_DEPRECATED & ~E_STRICT;
$CFG->debugdev = E_ALL | E_STRICT;
$CFG->sep = DIRECTORY_SEPARATOR . PHP_EOL;

$CFG->floats = [1.0, 1e25, 0.1 + 0.2, 7 / 2, 6 / 2, 1/3, -0.0, 1.5e-7, 100000000000000.0, .5, 1_000.5];
$CFG->floatstr = 'v' . 0.1 + 0.2;
$CFG->tern = $CFG->missing ?? 'default';
$CFG->short = '' ?: 'short';
$CFG->full = 0 ? 'yes' : 'no';
$CFG->nulls = null;
$CFG->bools = [TRUE, False, !0, !'0', !'0.0'];
$CFG->big = 9223372036854775807;
$CFG->bigger = 9223372036854775808;
$CFG->neg = -9223372036854775808;
$CFG->overflow = 9223372036854775807 + 1;
$CFG->ints = [0xFF, 0b1010, 0o17, 017, 1_000_000, -0x10, 8 % 3, 2 ** 10, -2 ** 2, 7 - 10];
$CFG->casts = [(int) '12abc', (string) 1.5, (bool) '0', (float) '3.14', (int) 1e20, (bool) [], (array) 'x', (int) ' 42 ', (integer) true, (boolean) 'false', (double) '1e3', intval('0x1A'), strval(2.50), boolval('')];
$CFG->isset = [isset($CFG->dbhost), isset($CFG->nothere), empty($CFG->nulls), isset($CFG->dboptions['dbport'])];
$CFG->offsets = $CFG->dboptions['extrainfo']['ssl'];
$CFG->strings = 'abc' | '  ';
{
    $CFG->inblock = 'bare blocks run';
}
$CFG->dbhost = 'third';
