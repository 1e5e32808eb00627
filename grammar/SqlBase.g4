grammar SqlBase;
statements : EOF ;
WS : [ \t\r\n]+ -> skip ;
