"""MedGround's retrieval layer: MedQuAD loading, chunking, embeddings, FAISS/BM25 index, search."""
