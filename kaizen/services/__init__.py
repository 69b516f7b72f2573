"""The rules of the app as plain functions: values in, values out, no request globals."""
