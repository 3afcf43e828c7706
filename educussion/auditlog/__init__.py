"""The secretariat's audit log (操作ログ): a filtered page and its XLSX/CSV exports."""
