<?php
// Things PHP would reject or that depend on the runtime: not run through PHP.
$CFG = new stdClass();
$CFG->wwwroot = 'http://' . $_SERVER['HTTP_HOST'];
$CFG->debug = DEBUG_DEVELOPER;
$CFG->fromclass = Foo::BAR;
$CFG->fromfunc = foo();
$CFG->method = $obj->method();
$CFG->obj = new stdClass();
$CFG->closure = function () { return 1; };
$CFG->undefinedconst = NOT_DEFINED_ANYWHERE;
$CFG->version = PHP_VERSION;
$CFG->incr++;
$CFG->dbhost = 'ok';
$CFG->dboptions = ['a' => 1];
$CFG->dboptions['b'] = mystery();
$CFG->scalar = 5;
$CFG->scalar['k'] = 1;
$CFG->divzero = 1 / 0;
$CFG->nonnumeric = 'abc' * 2;
$CFG->compare = 1 == 1;
$CFG->ok2 = 'ok2';
array_push($CFG->dbhost, 'x');
echo 'hello';
$CFG->after_echo = 'yes';
return;
$CFG->after_return = 'never';
