print("ldedge")
