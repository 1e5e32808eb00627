// placeholder: replaced by the AST builder
