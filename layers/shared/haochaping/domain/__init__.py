"""The rules of 好差评, in plain Python: no boto3, PynamoDB or Powertools here."""
