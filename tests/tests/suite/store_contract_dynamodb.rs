//! The store contract suite on the DynamoDB adapter, over HTTP to moto server.

encaisse::store_contract_tests!(integration::fresh_store());
