<?php
// Odd quoting. This file is stored with a UTF-8 BOM and CRLF line endings.
unset($CFG);
global $CFG;
$CFG = new stdClass();

$CFG->dbpass	=	'p@$$w\'o"rd\\#//;/*x*/?';	// every troublesome character
$CFG->dbpass_dq = "p@\$\$w'o\"rd\\#//;/*x*/?";
$CFG->dbpass_trailing_backslash = 'ends\\';
$CFG->session_handler_class = '\core\session\database';
$CFG->session_handler_class_dq = "\\core\\session\\database";
// In double quotes "\f" is a form feed, so this is not the class name:
$CFG->session_handler_class_trap = "\core\session\file";
$CFG->wwwroot	= 'https://ünïcödé.example/モodle';
$CFG->lang = 'français';
$CFG->escapes = "tab\there|nl\n|hex\x41|oct\101|u\u{1F600}|e\e|v\v|f\f|\$notvar|{\$x}|\{$CFG->lang}|\q\'";
$CFG->interp = "lang={$CFG->lang} root=$CFG->wwwroot/x {$CFG->lang}s";
$CFG->hash_in_string = '# not a comment'; # but this is
$CFG->slashes_in_string = 'http://x//y'; // a real comment with a 'quote
$CFG->block_in_string = '/* not a comment */';
$CFG->semicolons = 'a;b;c';
$CFG->close_tag_in_string = 'ends with ?> inside a string';
$CFG->dollar_single = '$CFG->lang stays literal';
$CFG->multiline = 'line1
line2';
$CFG->heredoc = <<<EOT
    Line one with $CFG->lang
      indented "quotes" \t tab
    EOT;
$CFG->nowdoc = <<<'EOT'
raw $CFG->lang \t
EOT;
$CFG->empty_single = '';
$CFG->empty_double = "";
$CFG->concat = 'a' . "b" . 'c' /* inline comment */ . 'd';
$CFG->keys = array('dq key' => 1, "sq\tkey" => 2);
