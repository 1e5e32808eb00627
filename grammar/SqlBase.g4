// Sluice's grammar of ksqlDB's SQL dialect.
//
// Keywords are matched case-insensitively: the parser feeds the lexer an upper-casing view of
// the text (engine/parser/case_insensitive_stream.h) while tokens keep the user's spelling, so
// the lexer rules below are written in upper case only.
//
// The parser splits a script into statements on top-level semicolons and parses each with
// `singleStatement`, so one bad statement does not hide the next ones' errors.

grammar SqlBase;

statements
    : (singleStatement)* EOF
    ;

singleStatement
    : statement SEMICOLON? EOF
    ;

singleExpression
    : expression EOF
    ;

statement
    : query                                                                   #queryStatement
    | (LIST | SHOW) PROPERTIES                                                #listProperties
    | (LIST | SHOW) ALL? TOPICS EXTENDED?                                     #listTopics
    | (LIST | SHOW) STREAMS EXTENDED?                                         #listStreams
    | (LIST | SHOW) TABLES EXTENDED?                                          #listTables
    | (LIST | SHOW) FUNCTIONS                                                 #listFunctions
    | (LIST | SHOW) (SOURCE | SINK)? CONNECTORS                               #listConnectors
    | (LIST | SHOW) CONNECTOR PLUGINS                                         #listConnectorPlugins
    | (LIST | SHOW) TYPES                                                     #listTypes
    | (LIST | SHOW) VARIABLES                                                 #listVariables
    | (LIST | SHOW) QUERIES EXTENDED?                                         #listQueries
    | DESCRIBE STREAMS EXTENDED?                                              #describeStreams
    | DESCRIBE TABLES EXTENDED?                                               #describeTables
    | DESCRIBE FUNCTION identifier                                            #describeFunction
    | DESCRIBE CONNECTOR identifier                                           #describeConnector
    | DESCRIBE EXTENDED? sourceName EXTENDED?                                 #showColumns
    | PRINT (identifier | STRING) printClause                                 #printTopic
    | TERMINATE ALL                                                           #terminateAll
    | TERMINATE identifier                                                    #terminateQuery
    | PAUSE (ALL | identifier)                                                #pauseQuery
    | RESUME (ALL | identifier)                                               #resumeQuery
    | SET name=STRING EQ value=STRING                                         #setProperty
    | ALTER SYSTEM name=STRING EQ value=STRING                                #alterSystemProperty
    | UNSET STRING                                                            #unsetProperty
    | DEFINE variableName EQ STRING                                           #defineVariable
    | UNDEFINE variableName                                                   #undefineVariable
    | CREATE (OR REPLACE)? SOURCE? STREAM (IF NOT EXISTS)? sourceName
        tableElements? (WITH tableProperties)?                                #createStream
    | CREATE (OR REPLACE)? STREAM (IF NOT EXISTS)? sourceName
        (WITH tableProperties)? AS query                                      #createStreamAs
    | CREATE (OR REPLACE)? SOURCE? TABLE (IF NOT EXISTS)? sourceName
        tableElements? (WITH tableProperties)?                                #createTable
    | CREATE (OR REPLACE)? TABLE (IF NOT EXISTS)? sourceName
        (WITH tableProperties)? AS query                                      #createTableAs
    | CREATE (SOURCE | SINK) CONNECTOR (IF NOT EXISTS)? identifier
        WITH tableProperties                                                  #createConnector
    | INSERT INTO sourceName (WITH tableProperties)? query                    #insertInto
    | INSERT INTO sourceName columns? VALUES values                           #insertValues
    | DROP STREAM (IF EXISTS)? sourceName (DELETE TOPIC)?                     #dropStream
    | DROP TABLE (IF EXISTS)? sourceName (DELETE TOPIC)?                      #dropTable
    | DROP CONNECTOR (IF EXISTS)? identifier                                  #dropConnector
    | EXPLAIN (statement | identifier)                                        #explain
    | CREATE TYPE (IF NOT EXISTS)? identifier AS type                         #registerType
    | DROP TYPE (IF EXISTS)? identifier                                       #dropType
    | ALTER (STREAM | TABLE) sourceName alterOption (COMMA alterOption)*      #alterSource
    | ASSERT (NOT EXISTS)? TOPIC (identifier | STRING)
        (WITH tableProperties)? timeout?                                      #assertTopic
    | ASSERT (NOT EXISTS)? SCHEMA (SUBJECT (identifier | STRING))?
        (ID literal)? timeout?                                                #assertSchema
    ;

timeout
    : TIMEOUT number windowUnit
    ;

query
    : SELECT selectItem (COMMA selectItem)*
      FROM from=relation
      (WINDOW windowExpression)?
      (WHERE where=booleanExpression)?
      (GROUP BY groupBy)?
      (PARTITION BY partitionBy)?
      (HAVING having=booleanExpression)?
      (EMIT resultMaterialization)?
      limitClause?
    ;

resultMaterialization
    : CHANGES
    | FINAL
    ;

tableElements
    : LPAREN tableElement (COMMA tableElement)* RPAREN
    ;

tableElement
    : identifier type columnConstraints?
    ;

columnConstraints
    : PRIMARY? KEY
    | HEADERS
    | HEADER LPAREN STRING RPAREN
    ;

tableProperties
    : LPAREN tableProperty (COMMA tableProperty)* RPAREN
    ;

tableProperty
    : (identifier | STRING) EQ literal
    ;

printClause
    : (FROM BEGINNING)? intervalClause? limitClause?
    ;

intervalClause
    : (INTERVAL | SAMPLE) number
    ;

limitClause
    : LIMIT number
    ;

retentionClause
    : RETENTION number windowUnit
    ;

gracePeriodClause
    : GRACE PERIOD number windowUnit
    ;

windowExpression
    : identifier? (tumblingWindowExpression | hoppingWindowExpression | sessionWindowExpression)
    ;

tumblingWindowExpression
    : TUMBLING LPAREN SIZE number windowUnit
        (COMMA retentionClause)? (COMMA gracePeriodClause)? RPAREN
    ;

hoppingWindowExpression
    : HOPPING LPAREN SIZE number windowUnit COMMA ADVANCE BY number windowUnit
        (COMMA retentionClause)? (COMMA gracePeriodClause)? RPAREN
    ;

sessionWindowExpression
    : SESSION LPAREN number windowUnit
        (COMMA retentionClause)? (COMMA gracePeriodClause)? RPAREN
    ;

windowUnit
    : DAY | HOUR | MINUTE | SECOND | MILLISECOND
    | DAYS | HOURS | MINUTES | SECONDS | MILLISECONDS
    ;

groupBy
    : valueExpression (COMMA valueExpression)*
    | LPAREN (valueExpression (COMMA valueExpression)*)? RPAREN
    ;

partitionBy
    : valueExpression (COMMA valueExpression)*
    | LPAREN (valueExpression (COMMA valueExpression)*)? RPAREN
    ;

values
    : LPAREN (valueExpression (COMMA valueExpression)*)? RPAREN
    ;

columns
    : LPAREN identifier (COMMA identifier)* RPAREN
    ;

selectItem
    : primaryExpression STRUCT_FIELD_REF ASTERISK                             #selectStructAll
    | expression (AS? identifier)?                                            #selectSingle
    | identifier DOT ASTERISK                                                 #selectAll
    | ASTERISK                                                                #selectAll
    ;

relation
    : left=aliasedRelation joinedSource+                                      #joinRelation
    | aliasedRelation                                                         #relationDefault
    ;

joinedSource
    : joinType JOIN aliasedRelation joinWindow? joinCriteria
    ;

joinType
    : INNER?                                                                  #innerJoin
    | FULL OUTER?                                                             #outerJoin
    | LEFT OUTER?                                                             #leftJoin
    | RIGHT OUTER?                                                            #rightJoin
    ;

joinWindow
    : WITHIN withinExpression
    ;

withinExpression
    : LPAREN joinWindowSize COMMA joinWindowSize RPAREN gracePeriodClause?    #joinWindowWithBeforeAndAfter
    | joinWindowSize gracePeriodClause?                                       #singleJoinWindow
    ;

joinWindowSize
    : number windowUnit
    ;

joinCriteria
    : ON booleanExpression
    ;

aliasedRelation
    : relationPrimary (AS? sourceName)?
    ;

relationPrimary
    : sourceName
    ;

expression
    : booleanExpression
    ;

booleanExpression
    : predicated                                                              #booleanDefault
    | NOT booleanExpression                                                   #logicalNot
    | left=booleanExpression op=AND right=booleanExpression             #logicalBinary
    | left=booleanExpression op=OR right=booleanExpression              #logicalBinary
    ;

predicated
    : valueExpression predicate?
    ;

predicate
    : comparisonOperator right=valueExpression                                #comparison
    | IS NOT? DISTINCT FROM right=valueExpression                             #distinctFrom
    | NOT? BETWEEN lower=valueExpression AND upper=valueExpression            #between
    | NOT? IN LPAREN expression (COMMA expression)* RPAREN                    #inList
    | NOT? LIKE pattern=valueExpression (ESCAPE escape=STRING)?               #like
    | IS NOT? KW_NULL                                                            #nullPredicate
    ;

valueExpression
    : primaryExpression                                                       #valueExpressionDefault
    | op=(MINUS | PLUS) valueExpression                                 #arithmeticUnary
    | left=valueExpression op=(ASTERISK | SLASH | PERCENT)
        right=valueExpression                                                 #arithmeticBinary
    | left=valueExpression op=(PLUS | MINUS) right=valueExpression      #arithmeticBinary
    | left=valueExpression CONCAT right=valueExpression                       #concatenation
    ;

primaryExpression
    : literal                                                                 #literalExpression
    | CASE operand=valueExpression whenClause+ (ELSE elseExpression=expression)? END  #simpleCase
    | CASE whenClause+ (ELSE elseExpression=expression)? END                  #searchedCase
    | CAST LPAREN expression AS type RPAREN                                   #cast
    | ARRAY LBRACKET (expression (COMMA expression)*)? RBRACKET               #arrayConstructor
    | MAP LPAREN (expression ASSIGN expression
        (COMMA expression ASSIGN expression)*)? RPAREN                        #mapConstructor
    | STRUCT LPAREN (identifier ASSIGN expression
        (COMMA identifier ASSIGN expression)*)? RPAREN                        #structConstructor
    | identifier LPAREN ASTERISK RPAREN                                       #functionCall
    | identifier LPAREN (functionArgument (COMMA functionArgument)*)? RPAREN  #functionCall
    | value=primaryExpression LBRACKET index=valueExpression RBRACKET         #subscript
    | identifier                                                              #columnReference
    | qualifier=identifier DOT column=identifier                              #qualifiedColumnReference
    | base=primaryExpression STRUCT_FIELD_REF fieldName=identifier            #dereference
    | LPAREN expression RPAREN                                                #parenthesizedExpression
    ;

functionArgument
    : expression
    | lambdaFunction
    ;

lambdaFunction
    : identifier LAMBDA_EXPRESSION expression
    | LPAREN identifier (COMMA identifier)* RPAREN LAMBDA_EXPRESSION expression
    ;

whenClause
    : WHEN condition=expression THEN result=expression
    ;

timeZoneSpecifier
    : TIME ZONE STRING
    ;

comparisonOperator
    : EQ | NEQ | LT | LTE | GT | GTE
    ;

booleanValue
    : TRUE | FALSE
    ;

type
    : ARRAY LT type GT                                                        #arrayType
    | MAP LT keyType=type COMMA valueType=type GT                             #mapType
    | STRUCT LT (identifier type (COMMA identifier type)*)? GT                 #structType
    | DECIMAL LPAREN precision=number COMMA scale=number RPAREN                #decimalType
    | baseType (LPAREN typeParameter (COMMA typeParameter)* RPAREN)?          #simpleType
    ;

// VARCHAR(10), VARCHAR(STRING): parameters are accepted and ignored, as ksqlDB does; like
// ksqlDB's grammar, only an integer or the word STRING (so its syntax errors list the same
// expected tokens: {'STRING', INTEGER_VALUE}).
typeParameter
    : INTEGER_VALUE
    | STRING_TYPE
    ;

baseType
    : identifier
    ;

literal
    : KW_NULL                                                                    #nullLiteral
    | number                                                                  #numericLiteral
    | booleanValue                                                            #booleanLiteral
    | STRING                                                                  #stringLiteral
    | VARIABLE                                                                #variableLiteral
    ;

alterOption
    : ADD COLUMN? identifier type
    ;

variableName
    : identifier
    ;

sourceName
    : identifier
    ;

identifier
    : VARIABLE                                                                #variableIdentifier
    | IDENTIFIER                                                              #unquotedIdentifier
    | QUOTED_IDENTIFIER                                                       #quotedIdentifierAlternative
    | nonReserved                                                             #unquotedIdentifier
    | BACKQUOTED_IDENTIFIER                                                   #backQuotedIdentifier
    | DIGIT_IDENTIFIER                                                        #digitIdentifier
    ;

number
    : MINUS? DECIMAL_VALUE                                                    #decimalLiteral
    | MINUS? FLOATING_POINT_VALUE                                             #floatLiteral
    | MINUS? INTEGER_VALUE                                                    #integerLiteral
    ;

// Keywords that may also name a column, source, type or function.
nonReserved
    : SHOW | TABLES | COLUMNS | COLUMN | PARTITIONS | FUNCTIONS | FUNCTION | SESSION
    | STRUCT | MAP | ARRAY | PARTITION
    | INTEGER | DATE | TIME | TIMESTAMP | INTERVAL | ZONE
    | YEAR | MONTH | DAY | HOUR | MINUTE | SECOND | MILLISECOND
    | YEARS | MONTHS | DAYS | HOURS | MINUTES | SECONDS | MILLISECONDS
    | EXPLAIN | ANALYZE | TYPE | TYPES
    | SET | RESET | UNSET
    | IF | SOURCE | SINK | PRIMARY | REPLACE | ASSERT | ADD | ALTER | VARIABLES
    | PLUGINS | HEADERS | HEADER | SYSTEM | TIMEOUT | SCHEMA | SUBJECT | ID
    | KEY | VALUES | PROPERTIES | TOPICS | TOPIC | STREAMS | QUERIES | CONNECTOR | CONNECTORS
    | BEGINNING | SAMPLE | CHANGES | FINAL | RETENTION | GRACE | PERIOD | SIZE | ADVANCE
    | TUMBLING | HOPPING | PAUSE | RESUME | DEFINE | UNDEFINE | DESCRIBE | EXTENDED
    | PRINT | LIST | TERMINATE | DECIMAL | DELETE | LIMIT | STRING_TYPE
    ;

EMIT: 'EMIT';
CHANGES: 'CHANGES';
FINAL: 'FINAL';
SELECT: 'SELECT';
FROM: 'FROM';
AS: 'AS';
ALL: 'ALL';
DISTINCT: 'DISTINCT';
WHERE: 'WHERE';
WITHIN: 'WITHIN';
WINDOW: 'WINDOW';
GROUP: 'GROUP';
BY: 'BY';
HAVING: 'HAVING';
LIMIT: 'LIMIT';
AT: 'AT';
OR: 'OR';
AND: 'AND';
IN: 'IN';
NOT: 'NOT';
EXISTS: 'EXISTS';
BETWEEN: 'BETWEEN';
LIKE: 'LIKE';
ESCAPE: 'ESCAPE';
IS: 'IS';
KW_NULL: 'NULL';
TRUE: 'TRUE';
FALSE: 'FALSE';
INTEGER: 'INTEGER';
STRING_TYPE: 'STRING';
DATE: 'DATE';
TIME: 'TIME';
TIMESTAMP: 'TIMESTAMP';
INTERVAL: 'INTERVAL';
YEAR: 'YEAR';
MONTH: 'MONTH';
DAY: 'DAY';
HOUR: 'HOUR';
MINUTE: 'MINUTE';
SECOND: 'SECOND';
MILLISECOND: 'MILLISECOND';
YEARS: 'YEARS';
MONTHS: 'MONTHS';
DAYS: 'DAYS';
HOURS: 'HOURS';
MINUTES: 'MINUTES';
SECONDS: 'SECONDS';
MILLISECONDS: 'MILLISECONDS';
ZONE: 'ZONE';
TUMBLING: 'TUMBLING';
HOPPING: 'HOPPING';
SIZE: 'SIZE';
ADVANCE: 'ADVANCE';
RETENTION: 'RETENTION';
GRACE: 'GRACE';
PERIOD: 'PERIOD';
CASE: 'CASE';
WHEN: 'WHEN';
THEN: 'THEN';
ELSE: 'ELSE';
END: 'END';
JOIN: 'JOIN';
FULL: 'FULL';
OUTER: 'OUTER';
INNER: 'INNER';
LEFT: 'LEFT';
RIGHT: 'RIGHT';
ON: 'ON';
PARTITION: 'PARTITION';
STRUCT: 'STRUCT';
WITH: 'WITH';
VALUES: 'VALUES';
CREATE: 'CREATE';
TABLE: 'TABLE';
TOPIC: 'TOPIC';
STREAM: 'STREAM';
STREAMS: 'STREAMS';
INSERT: 'INSERT';
DELETE: 'DELETE';
INTO: 'INTO';
DESCRIBE: 'DESCRIBE';
EXTENDED: 'EXTENDED';
PRINT: 'PRINT';
EXPLAIN: 'EXPLAIN';
ANALYZE: 'ANALYZE';
TYPE: 'TYPE';
TYPES: 'TYPES';
CAST: 'CAST';
SHOW: 'SHOW';
LIST: 'LIST';
TABLES: 'TABLES';
TOPICS: 'TOPICS';
QUERY: 'QUERY';
QUERIES: 'QUERIES';
TERMINATE: 'TERMINATE';
PAUSE: 'PAUSE';
RESUME: 'RESUME';
LOAD: 'LOAD';
COLUMNS: 'COLUMNS';
COLUMN: 'COLUMN';
PARTITIONS: 'PARTITIONS';
FUNCTIONS: 'FUNCTIONS';
FUNCTION: 'FUNCTION';
DROP: 'DROP';
TO: 'TO';
RENAME: 'RENAME';
ARRAY: 'ARRAY';
MAP: 'MAP';
SET: 'SET';
DEFINE: 'DEFINE';
UNDEFINE: 'UNDEFINE';
RESET: 'RESET';
SESSION: 'SESSION';
SAMPLE: 'SAMPLE';
EXPORT: 'EXPORT';
CATALOG: 'CATALOG';
PROPERTIES: 'PROPERTIES';
BEGINNING: 'BEGINNING';
UNSET: 'UNSET';
RUN: 'RUN';
SCRIPT: 'SCRIPT';
DECIMAL: 'DECIMAL';
KEY: 'KEY';
CONNECTOR: 'CONNECTOR';
CONNECTORS: 'CONNECTORS';
SINK: 'SINK';
SOURCE: 'SOURCE';
NAMESPACE: 'NAMESPACE';
MATERIALIZED: 'MATERIALIZED';
VIEW: 'VIEW';
PRIMARY: 'PRIMARY';
REPLACE: 'REPLACE';
ASSERT: 'ASSERT';
ADD: 'ADD';
ALTER: 'ALTER';
VARIABLES: 'VARIABLES';
PLUGINS: 'PLUGINS';
HEADERS: 'HEADERS';
HEADER: 'HEADER';
SYSTEM: 'SYSTEM';
IF: 'IF';
TIMEOUT: 'TIMEOUT';
SCHEMA: 'SCHEMA';
SUBJECT: 'SUBJECT';
ID: 'ID';

EQ: '=';
NEQ: '<>' | '!=';
LT: '<';
LTE: '<=';
GT: '>';
GTE: '>=';

PLUS: '+';
MINUS: '-';
ASTERISK: '*';
SLASH: '/';
PERCENT: '%';
CONCAT: '||';

ASSIGN: ':=';
STRUCT_FIELD_REF: '->';
LAMBDA_EXPRESSION: '=>';

// COMMA before LPAREN/RPAREN: token numbers order the expected tokens in syntax errors,
// and ksqlDB's grammar (which numbers its literal tokens by first use) lists ',' before ')'.
COMMA: ',';
LPAREN: '(';
RPAREN: ')';
LBRACKET: '[';
RBRACKET: ']';
DOT: '.';
SEMICOLON: ';';

STRING
    : '\'' ( ~'\'' | '\'\'' )* '\''
    ;

INTEGER_VALUE
    : DIGIT+
    ;

DECIMAL_VALUE
    : DIGIT+ '.' DIGIT*
    | '.' DIGIT+
    ;

FLOATING_POINT_VALUE
    : DIGIT+ ('.' DIGIT*)? EXPONENT
    | '.' DIGIT+ EXPONENT
    ;

IDENTIFIER
    : (LETTER | '_') (LETTER | DIGIT | '_' | '@')*
    ;

DIGIT_IDENTIFIER
    : DIGIT (LETTER | DIGIT | '_' | '@')+
    ;

QUOTED_IDENTIFIER
    : '"' ( ~'"' | '""' )* '"'
    ;

BACKQUOTED_IDENTIFIER
    : '`' ( ~'`' | '``' )* '`'
    ;

VARIABLE
    : '${' IDENTIFIER '}'
    ;

fragment EXPONENT
    : 'E' [+-]? DIGIT+
    ;

fragment DIGIT
    : [0-9]
    ;

fragment LETTER
    : [A-Z] | [\u0080-\uFFFE]
    ;

SIMPLE_COMMENT
    : '--' ~[\r\n]* '\r'? '\n'? -> channel(HIDDEN)
    ;

BRACKETED_COMMENT
    : '/*' .*? '*/' -> channel(HIDDEN)
    ;

WS
    : [ \r\n\t]+ -> channel(HIDDEN)
    ;

// Catch-all so that a stray character becomes a syntax error at its position.
UNRECOGNIZED
    : .
    ;
